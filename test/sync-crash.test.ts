import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { syncDataWorkflow } from '../workflows/sync.js';
import { makeSyncSite, removeSite, snapshotTree, startSyncSuite, writeTree, type SyncFixture } from './helpers/sync-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue } from './helpers/temporal-env.js';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker-process.js';

let env: TestWorkflowEnvironment;
let fx: SyncFixture;
const workers: WorkerProcess[] = [];
suiteHooks(() => startSyncSuite({ workers }), (suite) => ({ env, fx } = suite));

test('a worker killed mid-upload: the next worker reuses the server, re-sends only unfinished files, and deletes it', async () => {
  const site = await makeSyncSite(fx, { data: { parallelism: 1 }, transfer: { heartbeatTimeoutSeconds: 3 } });
  await writeTree(site.dataDir, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f-${String(i).padStart(2, '0')}.bin`, 1_500_000])));
  const taskQueue = uniqueTaskQueue('sync-crash');
  try {
    const first = await startWorkerProcess({ address: env.address, taskQueue });
    workers.push(first);
    const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `sync-crash-${Date.now()}`, args: [{ configPath: site.configPath }] });
    const complete = await waitFor('a few files uploaded', async () => {
      const names = (await readdir(fx.remoteDir).catch(() => [] as string[])).filter((n) => n.startsWith('f-'));
      return names.length >= 3 && names;
    }, 90_000, 20);
    await first.crash();
    // What was complete before the crash, by inode: a re-sent file would be a new inode.
    const inodes = new Map<string, number>();
    for (const name of complete) inodes.set(name, (await stat(path.join(fx.remoteDir, name))).ino);

    const second = await startWorkerProcess({ address: env.address, taskQueue });
    workers.push(second);
    const result = await handle.result();
    assert.deepEqual(await snapshotTree(fx.remoteDir), await snapshotTree(site.dataDir));
    assert.equal(result.uploadAttempt, 2, 'the upload resumed on its second attempt');
    assert.deepEqual(result.uploaded, { files: 40, bytes: 40 * 1_500_000 });
    for (const [name, ino] of inodes) assert.equal((await stat(path.join(fx.remoteDir, name))).ino, ino, `${name} was not sent again`);
    assert.deepEqual((await readdir(fx.remoteDir)).filter((n) => n.endsWith('.runbook-part')), [], 'the half-sent temp file was cleaned up');

    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length, 1, 'the retry reused the server');
    assert.equal(ledger.alive, 0);
    await second.stop();
  } finally {
    await removeSite(site);
  }
});
