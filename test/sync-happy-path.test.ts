import assert from 'node:assert/strict';
import { rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRunbookWorker, type RunbookWorker } from '../worker/create-worker.js';
import { syncDataWorkflow } from '../workflows/sync.js';
import { syncStatusQuery } from '../workflows/sync-status.js';
import { makeSyncSite, mtimeSeconds, removeSite, snapshotTree, startSyncSuite, writeTree, type SyncFixture } from './helpers/sync-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';

let env: TestWorkflowEnvironment;
let fx: SyncFixture;
suiteHooks(startSyncSuite, (suite) => ({ env, fx } = suite));

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('sync');
  const worker: RunbookWorker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  return worker.runUntil(fn(taskQueue));
}

test('sync uploads a byte-identical tree, then nothing, then exactly the change; never leaves a server', async () => {
  const site = await makeSyncSite(fx);
  await writeTree(site.dataDir, {
    'expression/part 0001.feather': 300_000,
    'expression/part 0002.feather': 120_000,
    'interactions/ünïcödé — 名前.feather': 50_000,
    'nested/a/b/c/deep.bin': 1_000,
    'empty.txt': '',
    'with space/also empty': '',
    'big.bin': 2_500_000,
  });
  try {
    await withWorker(async (taskQueue) => {
      // 1. Everything goes up, byte for byte, with mtimes preserved.
      const first = await env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `sync-happy-1-${Date.now()}`, args: [{ configPath: site.configPath }] });
      assert.deepEqual(await snapshotTree(fx.remoteDir), await snapshotTree(site.dataDir));
      assert.equal(await mtimeSeconds(path.join(fx.remoteDir, 'big.bin')), await mtimeSeconds(path.join(site.dataDir, 'big.bin')));
      assert.deepEqual(first.uploaded, { files: 7, bytes: 300_000 + 120_000 + 50_000 + 1_000 + 2_500_000 });
      assert.deepEqual(first.deleted, { files: 0, bytes: 0 });
      assert.equal(first.verified?.checksummed, 7);
      assert.match(first.serverId ?? '', /^s-[0-9a-f]{17}$/);
      assert.ok(first.serverSeconds > 0);
      assert.ok(first.estimatedCost > 0);

      // 2. Nothing changed since the verified sync: nothing uploaded, and no server at all.
      const serversBefore = (await fx.control.ledger()).servers.length;
      const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `sync-happy-2-${Date.now()}`, args: [{ configPath: site.configPath }] });
      const second = await handle.result();
      assert.deepEqual(second.uploaded, { files: 0, bytes: 0 });
      assert.deepEqual(second.skipped.files, 7);
      assert.equal((await fx.control.ledger()).servers.length, serversBefore, 'an unchanged tree provisions no server');
      const status = await handle.query(syncStatusQuery);
      assert.equal(status.stage, 'completed');
      assert.equal(status.serverId, null);
      assert.match(status.lastLine ?? '', /unchanged since the sync/);

      // 3. One file changed, two removed: one upload, two deletions (and the emptied dir goes).
      await writeFile(path.join(site.dataDir, 'expression/part 0002.feather'), 'changed');
      const future = new Date(Date.now() + 5000);
      await utimes(path.join(site.dataDir, 'expression/part 0002.feather'), future, future);
      await rm(path.join(site.dataDir, 'nested'), { recursive: true });
      await rm(path.join(site.dataDir, 'empty.txt'));
      const third = await env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `sync-happy-3-${Date.now()}`, args: [{ configPath: site.configPath }] });
      assert.deepEqual(third.uploaded, { files: 1, bytes: 7 });
      assert.deepEqual(third.deleted, { files: 2, bytes: 1_000 });
      assert.deepEqual(await snapshotTree(fx.remoteDir), await snapshotTree(site.dataDir));
    });
    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length, 2, 'one server per run that had something to do');
    assert.equal(ledger.alive, 0);
  } finally {
    await removeSite(site);
  }
});
