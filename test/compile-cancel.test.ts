import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import type { ProcessRecord } from '../activities/process/tracked-process.js';
import { groupAlive } from '../activities/process/process-identity.js';
import { createRunbookWorker } from '../worker/create-worker.js';
import { compileWorkflow } from '../workflows/compile.js';
import { statusQuery } from '../workflows/compile-status.js';
import { makeSampleSite, readAudit } from './helpers/sample-site.js';
import { startServer, uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { waitFor } from './helpers/worker-process.js';
import { runPath } from './helpers/run-dirs.js';

let env: TestWorkflowEnvironment;
suiteHooks(startServer, (server) => (env = server.env));

test('cancelling a compile ends the whole process tree and restores the previous data', async () => {
  const site = await makeSampleSite({ units: 30, unitMs: 1000 });
  // Yesterday's data, which the site serves until a new compile validates.
  const previous = path.join(site.dir, 'data', 'compiled', 'old.feather');
  await mkdir(path.dirname(previous), { recursive: true });
  const oldBytes = tableToIPC(tableFromArrays({ x: Int32Array.from([1, 2, 3]) }), 'file');
  await writeFile(previous, oldBytes);

  const taskQueue = uniqueTaskQueue('cancel');
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  const workflowId = `compile-cancel-${Date.now()}`;
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath }] });
    await waitFor('the first unit to start', async () => (await readAudit(site.auditLog)).length > 0);
    const recordPath = runPath(site.dir, workflowId, 'step-expression', 'record.json');
    const record = JSON.parse(await readFile(recordPath, 'utf8')) as ProcessRecord;
    assert.ok(groupAlive(record.pgid));
    // While the step runs, the old data is out of the way but kept.
    assert.deepEqual(await readdir(path.join(site.dir, '.runbook', 'site', 'output-backup', 'previous')), ['old.feather']);

    await handle.cancel();
    const err = await handle.result().then(
      () => assert.fail('a cancelled compile must not complete'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof CancelledFailure, `expected a cancellation, got ${String(err.cause)}`);
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    assert.ok(!groupAlive(record.pgid), 'no process of the step is left');
    assert.equal((await handle.query(statusQuery)).stage, 'cancelled');
  });
  // The previous data is back where the site reads it, byte for byte.
  assert.deepEqual(await readFile(previous), Buffer.from(oldBytes));
  assert.deepEqual(await readdir(path.join(site.dir, 'data')), ['compiled'], 'nothing but the data in the data dir');
  assert.ok((await readdir(path.join(site.dir, '.runbook', 'site', 'output-backup', 'failed'))).length > 0, 'the failed output is kept for a look');
  await rm(site.dir, { recursive: true, force: true });
});
