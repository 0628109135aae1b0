import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { compileWorkflow } from '../workflows/compile.js';
import { statusQuery } from '../workflows/compile-status.js';
import { buildProductionWorker } from './helpers/build.js';
import { makeSampleSite, repoRoot } from './helpers/sample-site.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { startWorkerProcess } from './helpers/worker-process.js';

// The production worker as the image's runtime stage holds it (worker/Dockerfile): dist/ from
// `npm run build`, package.json, and `npm ci --omit=dev`, in a directory with no other
// node_modules above it. A runtime import of a devDependency fails here, and so does a bundle
// that lacks what the workflows need.

const run = promisify(execFile);
let env: TestWorkflowEnvironment;
let prod: string;

before(async () => {
  env = await startDevServer();
  await buildProductionWorker();
  prod = await mkdtemp(path.join(os.tmpdir(), 'runbook-prod-'));
  for (let dir = path.dirname(prod); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    assert.ok(!existsSync(path.join(dir, 'node_modules')), `${dir}/node_modules would lend the worker packages the image does not have`);
  }
  await cp(path.join(repoRoot, 'dist'), path.join(prod, 'dist'), { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) await cp(path.join(repoRoot, file), path.join(prod, file));
  // As the Dockerfile's runtime stage; from npm's cache when it holds every package.
  await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: prod, maxBuffer: 16 * 1024 * 1024 });
});
after(async () => {
  await env?.teardown();
  if (prod) await rm(prod, { recursive: true, force: true });
});

const productionEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  // Nothing of the test runner's own loader (tsx) reaches the production worker.
  NODE_OPTIONS: '',
  RUNBOOK_HOST_ID: 'compiled',
  ...extra,
});

test('the install holds the runtime dependencies only, and the worker imports its packages at start', async () => {
  // Static imports only: starting the worker (below) then resolves every package it can ever load.
  const compiled = (await readdir(path.join(prod, 'dist'), { recursive: true })).filter((f) => f.endsWith('.js') && f !== 'workflow-bundle.js');
  assert.ok(compiled.includes(path.join('worker', 'main.js')));
  for (const file of compiled) assert.doesNotMatch(await readFile(path.join(prod, 'dist', file), 'utf8'), /\bimport\(|\brequire\(/, `${file} imports lazily`);
  const pkg = JSON.parse(await readFile(path.join(prod, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  for (const name of Object.keys(pkg.dependencies)) assert.ok(existsSync(path.join(prod, 'node_modules', name)), `${name} is installed`);
  // Otherwise the run below would prove nothing about devDependencies.
  for (const name of ['tsx', 'typescript', '@temporalio/testing', 'yaml']) {
    assert.ok(name in pkg.devDependencies, `${name} is a devDependency`);
    assert.ok(!existsSync(path.join(prod, 'node_modules', name)), `${name} is not installed`);
  }
});

test('node dist/worker/main.js loads the prebuilt bundle and completes a compile of the sample site', async () => {
  const site = await makeSampleSite({ units: 2, unitMs: 30 });
  const taskQueue = uniqueTaskQueue('compiled');
  const worker = await startWorkerProcess({ address: env.address, taskQueue, argv: ['dist/worker/main.js'], cwd: prod, env: productionEnv() });
  try {
    const bundle = path.join(prod, 'dist', 'workflow-bundle.js');
    assert.ok(worker.output().includes(`workflows from the prebuilt bundle ${bundle}`), worker.output());
    assert.doesNotMatch(worker.output(), /Workflow bundle created|webpack/i, 'no bundling at start');
    const handle = await env.client.workflow.start(compileWorkflow, {
      taskQueue, workflowId: `compile-compiled-${Date.now()}`, args: [{ configPath: site.configPath }],
    });
    const result = await handle.result();
    assert.deepEqual(result.steps.map((s) => s.name), ['expression', 'interactions']);
    assert.deepEqual(result.figures, ['circos', 'interactions', 'ligand_effects']);
    assert.equal(result.manifest.files, 2 * 2 + 3);
    assert.equal((await handle.query(statusQuery)).stage, 'completed');
    // The host-affinity interceptor is in the bundle: the data work ran on this host's queue.
    const history = await handle.fetchHistory();
    const steps = (history.events ?? []).flatMap((e) => e.activityTaskScheduledEventAttributes ?? []).filter((a) => a.activityType?.name === 'runCompileStep');
    assert.equal(steps.length, 2);
    for (const step of steps) assert.equal(step.taskQueue?.name, `${taskQueue}@compiled`, 'a compile step goes to the host queue');
  } finally {
    assert.equal(await worker.stop(), 0, worker.output());
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('the compiled worker without its bundle stops at once and says to build', async () => {
  const missing = path.join(prod, 'no-such-bundle.js');
  await assert.rejects(
    startWorkerProcess({ address: env.address, taskQueue: uniqueTaskQueue('compiled'), argv: ['dist/worker/main.js'], cwd: prod, env: productionEnv({ RUNBOOK_WORKFLOW_BUNDLE: missing }) }),
    (err: Error) => err.message.includes(`No workflow bundle at ${missing} (RUNBOOK_WORKFLOW_BUNDLE): run \`npm run build\``),
  );
});
