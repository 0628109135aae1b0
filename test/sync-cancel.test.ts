import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { syncDataWorkflow } from '../workflows/sync.js';
import { syncStatusQuery, type SyncStatus } from '../workflows/sync-status.js';
import { makeSyncSite, removeSite, startSyncSuite, writeTree, type SyncFixture } from './helpers/sync-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { withWorker } from './helpers/temporal-env.js';
import { waitFor } from './helpers/worker-process.js';

let env: TestWorkflowEnvironment;
let fx: SyncFixture;
suiteHooks(startSyncSuite, (suite) => ({ env, fx } = suite));

async function cancelAndExpectTeardown(site: Awaited<ReturnType<typeof makeSyncSite>>, when: (handle: { query: () => Promise<SyncStatus> }) => Promise<unknown>): Promise<void> {
  await withWorker(env, 'sync-cancel', async (taskQueue) => {
    const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `sync-cancel-${Date.now()}`, args: [{ configPath: site.configPath }] });
    await when({ query: () => handle.query(syncStatusQuery) });
    await handle.cancel();
    const err = await handle.result().then(() => assert.fail('a cancelled sync must not complete'), (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof CancelledFailure, `expected a cancellation, got ${String(err.cause)}`);
    assert.equal((await handle.describe()).status.name, 'CANCELLED');
    const status = await handle.query(syncStatusQuery);
    assert.equal(status.stage, 'cancelled');
    assert.ok(status.serverSeconds !== null && status.serverSeconds > 0);
  });
}


test('cancelling while the server is STARTING still deletes it', async () => {
  const before = (await fx.control.ledger()).servers.length;
  const site = await makeSyncSite(fx);
  await writeTree(site.dataDir, { 'a.bin': 1000 });
  await fx.control.addFault({ service: 'transfer', serverState: 'STUCK_STARTING', count: 1 });
  try {
    await cancelAndExpectTeardown(site, (h) => waitFor('the server to be STARTING', async () => (await h.query()).stage === 'waiting-online'));
    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length - before, 1);
    assert.equal(ledger.alive, 0);
  } finally {
    await fx.control.clearFaults();
    await removeSite(site);
  }
});

test('cancelling during the upload stops it, deletes the server and leaves no temp file under a real name', async () => {
  const before = (await fx.control.ledger()).servers.length;
  const site = await makeSyncSite(fx, { data: { parallelism: 1 } });
  await writeTree(site.dataDir, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f-${String(i).padStart(2, '0')}.bin`, 1_500_000])));
  // A slow link (each write answered 100 ms later): the engine keeps many files in flight, and
  // on loopback it finished 60 MB before the cancellation reached it.
  await fx.control.addFault({ service: 'sftp', latencyMs: 100 });
  try {
    await cancelAndExpectTeardown(site, () =>
      waitFor('the first uploaded file', async () => (await readdir(fx.remoteDir).catch(() => [])).some((n) => n.startsWith('f-')), 60_000, 20),
    );
    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length - before, 1);
    assert.equal(ledger.alive, 0);
    const names = await readdir(fx.remoteDir);
    const real = names.filter((n) => n.startsWith('f-'));
    assert.ok(real.length < 40, 'the upload was stopped before the end');
    // Whatever shows under a real name is complete; a half-sent file only ever had a temp name.
    for (const name of real) assert.equal((await stat(path.join(fx.remoteDir, name))).size, 1_500_000, name);
  } finally {
    await fx.control.clearFaults();
    await removeSite(site);
  }
});
