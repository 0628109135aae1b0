import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { makeSampleSite, repoRoot } from './helpers/sample-site.js';
import { uniqueTaskQueue, startServerWithWorker } from './helpers/temporal-env.js';
import { suiteHooks } from './helpers/suite-hooks.js';

let env: TestWorkflowEnvironment;
const taskQueue = uniqueTaskQueue('cli');
suiteHooks(() => startServerWithWorker(taskQueue), (server) => (env = server.env));

function cli(script: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'client', script), ...args], {
      cwd: repoRoot,
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('start-workflow compile --wait --json follows the run and ends with one JSON line; status reads it', async () => {
  const site = await makeSampleSite({ units: 6, unitMs: 800 });
  const workflowId = `cli-compile-${Date.now()}`;
  const started = cli('start-workflow.ts', ['compile', '--config', site.configPath, '--id', workflowId, '--wait', '--json']);

  // A second client follows the same run, as a person would after their terminal died.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const follower = cli('status.ts', [workflowId, '--wait']);
  const mid = await cli('status.ts', [workflowId, '--json']);
  assert.equal(mid.code, 0, mid.stderr);
  const midStatus = JSON.parse(mid.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  for (const key of ['stage', 'step', 'done', 'total', 'elapsedMs', 'lastLine']) assert.ok(key in midStatus, `status --json has ${key}`);
  assert.equal(midStatus.workflowStatus, 'RUNNING');

  const { code, stdout, stderr } = await started;
  assert.equal(code, 0, stderr);
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { workflowId: string; status: string; result: { manifest: { files: number } } };
  assert.equal(last.workflowId, workflowId);
  assert.equal(last.status, 'COMPLETED');
  assert.equal(last.result.manifest.files, 12 + 3);
  assert.match(stderr, new RegExp(`Temporal UI: http://127\\.0\\.0\\.1:\\d+/namespaces/default/workflows/${workflowId}`));
  // Off a terminal, progress comes as plain lines.
  assert.match(stderr, /compiling {2}step (expression|interactions) {2}\d\/6/);

  const followed = await follower;
  assert.equal(followed.code, 0, followed.stderr);
  assert.match(followed.stdout, new RegExp(`${workflowId} completed`));
  assert.match(followed.stdout, /manifest: 15 files, 2,400 rows/);

  const done = await cli('status.ts', [workflowId, '--json']);
  const final = JSON.parse(done.stdout.trim()) as Record<string, unknown>;
  assert.equal(final.workflowStatus, 'COMPLETED');
  assert.equal(final.stage, 'completed');
  await rm(site.dir, { recursive: true, force: true });
});

test('--wait exits non-zero when the workflow fails, and says why', async () => {
  const site = await makeSampleSite({ edit: (config) => (config.compile.steps[0]!.env = { ...config.compile.steps[0]!.env, SAMPLE_FAIL_AT: '1:2' }) });
  const { code, stdout, stderr } = await cli('start-workflow.ts', ['compile', '--config', site.configPath, '--wait', '--json']);
  assert.equal(code, 1, stderr);
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!) as { status: string; error: string };
  assert.equal(last.status, 'FAILED');
  assert.match(last.error, /Compile step "expression" exited with code 2/);
  await rm(site.dir, { recursive: true, force: true });
});

test('status of an unknown workflow id says so', async () => {
  const { code, stderr } = await cli('status.ts', ['no-such-workflow']);
  assert.equal(code, 2);
  assert.match(stderr, /no workflow "no-such-workflow"/);
});
