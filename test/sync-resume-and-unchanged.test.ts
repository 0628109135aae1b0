import assert from 'node:assert/strict';
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRunbookWorker } from '../worker/create-worker.js';
import { syncDataWorkflow } from '../workflows/sync.js';
import { startCountingProxy } from './helpers/counting-proxy.js';
import { makeSyncSite, removeSite, snapshotTree, startSyncSuite, writeTree, type SyncFixture } from './helpers/sync-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker-process.js';

let env: TestWorkflowEnvironment;
let fx: SyncFixture;
const workers: WorkerProcess[] = [];
suiteHooks(() => startSyncSuite({ workers }), (suite) => ({ env, fx } = suite));

const MiB = 2 ** 20;

/** One connection to the sim's SFTP, through a proxy that counts what it sends and caps its rate. */
async function siteBehindProxy(bytesPerSecond: number) {
  const proxy = await startCountingProxy(fx.sim.sftpHost, fx.sim.sftpPort, { bytesPerSecond });
  const site = await makeSyncSite(fx, {
    data: { parallelism: 1 },
    transfer: { heartbeatTimeoutSeconds: 3 },
    edit: (config) => {
      (config.aws as Record<string, unknown>).sftpEndpoint = `127.0.0.1:${proxy.port}`;
    },
  });
  return { proxy, site };
}

test('a worker killed halfway through a big file: the retry sends only what was not proven written, then the file is whole', async () => {
  const size = 48 * MiB;
  // The sim's SFTP behind a proxy that counts what clients send and slows them to ~16 MB/s, so
  // the upload is still halfway when the worker dies.
  const { proxy, site } = await siteBehindProxy(16e6);
  await writeTree(site.dataDir, { 'big.feather': size });
  const taskQueue = uniqueTaskQueue('sync-resume');
  try {
    const first = await startWorkerProcess({ address: env.address, taskQueue });
    workers.push(first);
    const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `sync-resume-${Date.now()}`, args: [{ configPath: site.configPath }] });
    const tempSize = async (): Promise<number> => {
      const temps = (await readdir(fx.remoteDir).catch(() => [] as string[])).filter((n) => n.endsWith('.runbook-part'));
      return temps.length === 1 ? (await stat(path.join(fx.remoteDir, temps[0]!))).size : 0;
    };
    await waitFor('half the file on the server', async () => (await tempSize()) >= size / 2, 120_000, 10);
    await first.crash();
    const writtenAtCrash = await tempSize();
    const sentBeforeRetry = proxy.clientBytes;

    const second = await startWorkerProcess({ address: env.address, taskQueue });
    workers.push(second);
    const result = await handle.result();
    const sentByRetry = proxy.clientBytes - sentBeforeRetry;

    assert.deepEqual(await snapshotTree(fx.remoteDir), await snapshotTree(site.dataDir), 'the file on EFS is the local file, byte for byte');
    assert.deepEqual((await readdir(fx.remoteDir)).filter((n) => n.endsWith('.runbook-part')), [], 'no temp file left');
    assert.ok(writtenAtCrash < size, 'the crash came before the file was complete');
    // What the retry may send: the part not yet written when the worker died, what was in flight
    // and not yet acknowledged (2 sessions × 4 MiB), and SSH's own bytes (handshake, listing,
    // framing, the read-back's requests). From byte 0 it would be the whole 48 MiB.
    const allowed = size - writtenAtCrash + 8 * MiB + 2 * MiB;
    assert.ok(sentByRetry <= allowed, `the retry sent ${(sentByRetry / MiB).toFixed(1)} MiB; at most ${(allowed / MiB).toFixed(1)} MiB expected (${(writtenAtCrash / MiB).toFixed(1)} MiB were on the server)`);
    assert.ok(sentByRetry < size * 0.8, 'the retry did not start over from byte 0');
    assert.equal(result.uploadAttempt, 2, 'the upload resumed on its second attempt');
    const ledger = await fx.control.ledger();
    assert.equal(ledger.alive, 0, 'the server is deleted');
    await second.stop();
  } finally {
    await proxy.close();
    await removeSite(site);
    await rm(fx.remoteDir, { recursive: true, force: true });
  }
});

test('a worker killed mid-file: each file in flight continues from what the server holds, nothing it wrote is sent again', async (t) => {
  const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`part-${String(i).padStart(2, '0')}.bin`, 4 * MiB]));
  // Slowed to ~8 MB/s so the worker dies with files half-written. Each file is small (the engine
  // once sent files under 16 MiB again from byte 0 after a crash).
  const { proxy, site } = await siteBehindProxy(8e6);
  await writeTree(site.dataDir, files);
  const taskQueue = uniqueTaskQueue('sync-resume-small');
  // What the sim's SFTP server wrote to disk, per local file (its temps, under any attempt's name).
  const remoteRel = path.relative(fx.sim.stateDir, fx.remoteDir);
  const writtenPerFile = async (): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    for (const [where, bytes] of Object.entries(await fx.control.sftpWrites())) {
      if (path.dirname(where) !== remoteRel) continue;
      const name = path.basename(where).replace(/^\.(.*)\.a\d+\.runbook-part$/, '$1');
      // The sim counts since its start: the other tests' files share the dir.
      if (name in files) out.set(name, (out.get(name) ?? 0) + bytes);
    }
    return out;
  };
  try {
    const first = await startWorkerProcess({ address: env.address, taskQueue });
    workers.push(first);
    const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `sync-resume-small-${Date.now()}`, args: [{ configPath: site.configPath }] });
    const halfWritten = async (): Promise<string[]> => [...(await writtenPerFile())].filter(([, n]) => n >= MiB && n <= 3 * MiB).map(([name]) => name);
    await waitFor('files half-written on the server', async () => (await halfWritten()).length >= 2, 120_000, 10);
    await first.crash();
    const atCrash = await writtenPerFile();
    const midFile = [...atCrash].filter(([, n]) => n > 0 && n < 4 * MiB);

    const second = await startWorkerProcess({ address: env.address, taskQueue });
    workers.push(second);
    const result = await handle.result();
    assert.deepEqual(await snapshotTree(fx.remoteDir), await snapshotTree(site.dataDir), 'every file on EFS is the local file, byte for byte');
    assert.deepEqual((await readdir(fx.remoteDir)).filter((n) => n.endsWith('.runbook-part')), [], 'no temp file left');
    assert.equal(result.uploadAttempt, 2, 'the upload resumed on its second attempt');
    assert.ok(midFile.length >= 2, `files were mid-way when the worker died (${midFile.length})`);

    // Bytes the server wrote for a file beyond its size were sent again. The killed worker's
    // writes the server had not yet answered are proven by reading them back, so none is.
    const after = await writtenPerFile();
    const resent = [...after].map(([name, n]) => [name, n - 4 * MiB] as const);
    const report = midFile.map(([name, n]) => `${name}: ${(n / MiB).toFixed(2)} MiB at the crash, ${((after.get(name) ?? 0) - 4 * MiB) / 1024} KiB sent again`).join('; ');
    t.diagnostic(report);
    for (const [name, extra] of resent) assert.ok(extra <= 64 * 1024, `${name} was written ${extra} bytes beyond its size (${report})`);
    assert.ok(resent.reduce((sum, [, extra]) => sum + extra, 0) <= 256 * 1024, `at most 256 KiB sent again in all (${report})`);
    assert.equal((await fx.control.ledger()).alive, 0, 'the server is deleted');
    await second.stop();
  } finally {
    await proxy.close();
    await removeSite(site);
    await rm(fx.remoteDir, { recursive: true, force: true });
  }
});

test('an unchanged local tree provisions nothing; force lists the remote side again and repairs it', async () => {
  const site = await makeSyncSite(fx);
  await writeTree(site.dataDir, { 'a.feather': 300_000, 'dir/b.feather': 200_000, 'dir/c.pkl': 'figure', 'empty/.keep': '' });
  const taskQueue = uniqueTaskQueue('sync-unchanged');
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  const servers = async (): Promise<number> => (await fx.control.ledger()).servers.length;
  const sync = (args: Record<string, unknown> = {}) =>
    env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `sync-unchanged-${Date.now()}`, args: [{ configPath: site.configPath, ...args }] });
  try {
    await worker.runUntil(async () => {
      const before = await servers();
      await sync();
      assert.equal(await servers(), before + 1, 'the first sync provisions a server');
      assert.deepEqual(await snapshotTree(fx.remoteDir), await snapshotTree(site.dataDir));

      const startedAt = Date.now();
      const unchanged = await sync();
      assert.equal(await servers(), before + 1, 'nothing changed locally: no server provisioned');
      assert.ok(Date.now() - startedAt < 15_000, 'and it ends in seconds');
      assert.match(unchanged.unchangedSinceLastSync ?? '', /unchanged since the sync/, 'the result says why');

      // Someone removes a file on EFS behind the runbook's back: only a forced sync finds out.
      await rm(path.join(fx.remoteDir, 'dir', 'b.feather'));
      await sync();
      assert.equal(await servers(), before + 1, 'still no server without force');
      await assert.rejects(stat(path.join(fx.remoteDir, 'dir', 'b.feather')), 'the remote side was not listed');
      await sync({ force: true });
      assert.equal(await servers(), before + 2, 'force provisions a server');
      assert.deepEqual(await snapshotTree(fx.remoteDir), await snapshotTree(site.dataDir), 'force listed the remote side and re-sent the missing file');

      // A local change (new bytes, a new mtime) is a change: it syncs without force.
      await writeTree(site.dataDir, { 'a.feather': 300_000 });
      await utimes(path.join(site.dataDir, 'a.feather'), new Date(), new Date(Date.now() + 5_000));
      await sync();
      assert.equal(await servers(), before + 3, 'a changed tree provisions a server');
      assert.deepEqual(await snapshotTree(fx.remoteDir), await snapshotTree(site.dataDir));
      assert.equal((await fx.control.ledger()).alive, 0, 'every server was deleted');
    });
  } finally {
    await removeSite(site);
    await rm(fx.remoteDir, { recursive: true, force: true });
  }
});
