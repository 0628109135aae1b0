import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Manifest } from '../activities/compile/validate-compiled-data.js';
import { createRunbookWorker } from '../worker/create-worker.js';
import { compileWorkflow } from '../workflows/compile.js';
import { statusQuery } from '../workflows/compile-status.js';
import { startServer, uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { makeSampleSite, readAudit } from './helpers/sample-site.js';

let env: TestWorkflowEnvironment;
suiteHooks(startServer, (server) => (env = server.env));

test('compileWorkflow runs every step, validates every feather file and pickles the figures', async () => {
  const site = await makeSampleSite({ units: 3, unitMs: 30 });
  const taskQueue = uniqueTaskQueue('compile');
  const worker = await createRunbookWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    taskQueue,
    workflowBundle: await workflowBundle(),
  });
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(compileWorkflow, {
      taskQueue,
      workflowId: `compile-happy-${Date.now()}`,
      args: [{ configPath: site.configPath }],
    });
    const value = await handle.result();
    const status = await handle.query(statusQuery);
    assert.equal(status.stage, 'completed');
    assert.deepEqual(status.completedSteps, ['expression', 'interactions']);
    return value;
  });

  assert.deepEqual(result.steps.map((s) => s.name), ['expression', 'interactions']);
  assert.deepEqual(result.figures, ['circos', 'interactions', 'ligand_effects']);
  assert.equal(result.manifest.files, 6 + 3);
  assert.equal(result.manifest.rows, 6 * 200);
  const manifest = JSON.parse(await readFile(result.manifest.path, 'utf8')) as Manifest;
  const feathers = manifest.files.filter((f) => f.kind === 'feather');
  assert.equal(feathers.length, 6);
  for (const file of feathers) {
    assert.equal(file.rows, 200);
    assert.deepEqual(file.schema?.map((c) => c.name), ['cell', 'gene', 'score']);
    assert.match(file.sha256, /^[0-9a-f]{64}$/);
  }
  const outputs = await readdir(path.join(site.dir, 'data', 'compiled'));
  assert.deepEqual(outputs.sort(), ['circos.pkl', 'expression', 'interactions', 'interactions.pkl', 'ligand_effects.pkl']);
  // Each unit compiled exactly once.
  const audit = await readAudit(site.auditLog);
  assert.equal(audit.filter((a) => a.event === 'done').length, 6);
  await rm(site.dir, { recursive: true, force: true });
});
