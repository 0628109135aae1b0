import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { makeSampleSite, repoRoot } from './helpers/sample-site.js';
import { startServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { startWorkerProcess, waitFor } from './helpers/worker-process.js';

let env: TestWorkflowEnvironment;
suiteHooks(startServer, (server) => (env = server.env));

const run = promisify(execFile);
async function schedule(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return scheduleIn(repoRoot, 'schedule-test', ...args);
}

async function scheduleIn(cwd: string, taskQueue: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'client', 'schedule.ts'), ...args], {
      cwd,
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue, RUNBOOK_CONFIG: '' },
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
  assert.match(compile.stdout, /created schedule release-runbook-compile-sample-site: compileWorkflow cron "0 3 \* \* 1"/);

  const described = await env.client.schedule.getHandle('release-runbook-release-sample-site').describe();
  assert.equal(described.action.type, 'startWorkflow');
  assert.equal(described.action.workflowType, 'releaseWorkflow');
  // The site's name, not this machine's path: the worker that runs it resolves its own config.
  assert.deepEqual(described.action.args, [{ stages: ['compile', 'sync', 'restart'], site: 'sample-site' }]);
  assert.equal(described.policies.overlap, ScheduleOverlapPolicy.SKIP);
  assert.deepEqual(described.spec.intervals?.map((i) => i.every), [7 * 24 * 3600 * 1000]);

  const listed = JSON.parse((await schedule('list', '--json')).stdout) as { scheduleId: string; workflowType: string }[];
  assert.deepEqual(listed.map((s) => [s.scheduleId, s.workflowType]).sort(), [
    ['release-runbook-compile-sample-site', 'compileWorkflow'],
    ['release-runbook-release-sample-site', 'releaseWorkflow'],
  ]);

  // Bad input is refused before anything is created.
  const bad = await schedule('create', 'release', '--site', 'sample-site', '--input', '{"stages":["deploy","restart"]}');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /stages cannot hold both "deploy" and "restart"/);

  for (const kind of ['release', 'compile']) assert.equal((await schedule('delete', kind, '--site', 'sample-site')).code, 0);
  assert.deepEqual(JSON.parse((await schedule('list', '--json')).stdout), []);
});

// The laptop that made the schedule keeps its checkout in one place, the team's worker in
// another (/site in compose): the schedule carries the site's name and the worker's site list
// says where that site's config is on its own machine.
test('a schedule created from one directory fires on a worker whose config lives elsewhere, and the run succeeds', async () => {
  const laptop = await makeSampleSite();
  const server = await makeSampleSite();
  const taskQueue = uniqueTaskQueue('schedule-elsewhere');
  const created = await scheduleIn(laptop.dir, taskQueue, 'create', 'compile', '--config', 'runbook.config.json', '--input', '{"skipFigures":true}', '--json');
  assert.equal(created.code, 0, created.stderr);
  const scheduleId = 'release-runbook-compile-sample-site';
  // Nothing of the laptop's path survives: its checkout is gone.
  await rm(laptop.dir, { recursive: true, force: true });
  const siteList = path.join(server.dir, 'sites.json');
  await writeFile(siteList, JSON.stringify({ sites: { 'sample-site': 'runbook.config.json' } }));
  const worker = await startWorkerProcess({ address: env.address, taskQueue, env: { RUNBOOK_SITES: siteList, RUNBOOK_CONFIG: '' } });
  try {
    const handle = env.client.schedule.getHandle(scheduleId);
    const described = await handle.describe();
    assert.deepEqual(described.action.type === 'startWorkflow' ? described.action.args : [], [{ skipFigures: true, site: 'sample-site' }]);
    await handle.trigger();
    const action = await waitFor('the schedule to start a run', async () => (await handle.describe()).info.recentActions[0], 30_000, 200);
    const run = env.client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId);
    await run.result();
    const compiled = await readdir(path.join(server.dir, 'data', 'compiled'), { recursive: true });
    assert.ok(compiled.some((f) => f.endsWith('.feather')), 'the compile wrote into the worker\'s copy of the site');
    // The worker also made sure of the site's janitor schedule, by name.
    assert.match(worker.output(), /janitor schedule release-runbook-janitor-sample-site (created|updated)/);
  } finally {
    await worker.stop();
    for (const id of [scheduleId, 'release-runbook-janitor-sample-site']) await env.client.schedule.getHandle(id).delete().catch(() => undefined);
    await rm(server.dir, { recursive: true, force: true });
  }
});

test('a bad site list stops the worker at start with one sentence naming the field and the fix', async () => {
  const dir = await makeSampleSite();
  try {
    const cases: [unknown, RegExp][] = [
      [{ sites: { 'Sample Site': 'runbook.config.json' } }, /Site list .*sites\.json \(RUNBOOK_SITES\): sites\.Sample Site must be lower-case letters, digits and hyphens, such as "contact-tracing" \(the site's name in its config\)\./],
      [{ sites: {} }, /Site list .*\(RUNBOOK_SITES\): sites must name at least one site/],
      [{ site: 'sample-site' }, /Site list .*\(RUNBOOK_SITES\): sites must be an object of site names to config paths, such as \{"contact-tracing": "\/site\/runbook\.config\.json"\} \(and 1 more problem: unknown key "site"/],
    ];
    for (const [list, message] of cases) {
      const file = path.join(dir.dir, 'sites.json');
      await writeFile(file, JSON.stringify(list));
      const err = await startWorkerProcess({ address: env.address, taskQueue: uniqueTaskQueue('bad-sites'), env: { RUNBOOK_SITES: file } }).then(
        async (w) => {
          await w.stop();
          return assert.fail('the worker must refuse the site list');
        },
        (e: Error) => e,
      );
      assert.match(err.message, /exited with 1 before it was ready/);
      assert.match(err.message, message);
    }
  } finally {
    await rm(dir.dir, { recursive: true, force: true });
  }
});
