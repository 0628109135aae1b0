import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { makeSampleSite, repoRoot } from './helpers/sample-site.js';
import { startDevServer } from './helpers/temporal-env.js';

let env: TestWorkflowEnvironment;
before(async () => {
  env = await startDevServer();
});
after(async () => {
  await env?.teardown();
});

const run = promisify(execFile);
async function schedule(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'client', 'schedule.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: 'schedule-test' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// The replacement for the weekly cron jobs of sites in this family: a data refresh and a compile.
test('npm run schedule creates, lists and deletes release and compile schedules on the dev server', async () => {
  const site = await makeSampleSite();
  const release = await schedule('create', 'release', '--config', site.configPath, '--input', '{"stages":["compile","sync","restart"]}', '--json');
  assert.equal(release.code, 0, release.stderr);
  const compile = await schedule('create', 'compile', '--config', site.configPath, '--cron', '0 3 * * 1');
  assert.equal(compile.code, 0, compile.stderr);
  assert.match(compile.stdout, /created schedule release-runbook-compile: compileWorkflow cron "0 3 \* \* 1"/);

  const described = await env.client.schedule.getHandle('release-runbook-release').describe();
  assert.equal(described.action.type, 'startWorkflow');
  assert.equal(described.action.workflowType, 'releaseWorkflow');
  assert.deepEqual(described.action.args, [{ stages: ['compile', 'sync', 'restart'], configPath: site.configPath }]);
  assert.equal(described.policies.overlap, ScheduleOverlapPolicy.SKIP);
  assert.deepEqual(described.spec.intervals?.map((i) => i.every), [7 * 24 * 3600 * 1000]);

  const listed = JSON.parse((await schedule('list', '--json')).stdout) as { scheduleId: string; workflowType: string }[];
  assert.deepEqual(listed.map((s) => [s.scheduleId, s.workflowType]).sort(), [
    ['release-runbook-compile', 'compileWorkflow'],
    ['release-runbook-release', 'releaseWorkflow'],
  ]);

  // Bad input is refused before anything is created.
  const bad = await schedule('create', 'release', '--input', '{"stages":["deploy","restart"]}');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /stages cannot hold both "deploy" and "restart"/);

  for (const kind of ['release', 'compile']) assert.equal((await schedule('delete', kind)).code, 0);
  assert.deepEqual(JSON.parse((await schedule('list', '--json')).stdout), []);
});
