import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { syncDataWorkflow } from '../workflows/sync.js';
import { createBucket, filesOnly, makeS3Site, openUploads, snapshotPrefix, startS3Sim, type S3Fixture } from './helpers/s3-site.js';
import { removeSite, snapshotTree, writeTree } from './helpers/sync-site.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker-process.js';

let env: TestWorkflowEnvironment;
let fx: S3Fixture;
const workers: WorkerProcess[] = [];
before(async () => {
  [env, fx] = await Promise.all([startDevServer(), startS3Sim()]);
});
after(async () => {
  await Promise.all(workers.map((w) => w.stop().catch(() => undefined)));
  await fx?.close();
  await env?.teardown();
});

const MiB = 1024 * 1024;

test('a worker SIGKILLed mid-multipart: the next one sends only the missing parts and leaves no open upload', async () => {
  const s3 = fx.client();
  await createBucket(s3, 'crash-data');
  const site = await makeS3Site(fx, { bucket: 'crash-data', prefix: 'data', multipartThresholdMb: 5, partSizeMb: 5, heartbeatTimeoutSeconds: 3 }, { parallelism: 1 });
  await writeTree(site.dataDir, { 'matrix.cxg': 60 * MiB + 17, 'small.txt': 'small' });
  // Slow parts, so the kill lands with some parts sent and others not.
  await fx.control.addFault({ service: 's3', operation: 'UploadPart', latencyMs: 400 });
  const taskQueue = uniqueTaskQueue('s3-crash');
  try {
    const first = await startWorkerProcess({ address: env.address, taskQueue });
    workers.push(first);
    const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `s3-crash-${Date.now()}`, args: [{ configPath: site.configPath }] });
    await waitFor('a few parts uploaded', async () => {
      const uploads = Object.values((await fx.control.state()).s3.uploads);
      return uploads.length === 1 && Object.keys(uploads[0]?.parts ?? {}).length >= 4;
    }, 120_000, 50);
    await first.crash();
    // What S3 holds once the dead worker's last request is over: these parts must not be sent again.
    await new Promise((r) => setTimeout(r, 1000));
    const uploads = Object.values((await fx.control.state()).s3.uploads);
    assert.equal(uploads.length, 1, 'the interrupted upload is still open');
    const partsBefore = Object.keys(uploads[0]?.parts ?? {}).length;
    const sentBefore = fx.count('UploadPart');
    assert.ok(partsBefore >= 4 && partsBefore < 13, `${partsBefore} of 13 parts were sent before the crash`);

    const second = await startWorkerProcess({ address: env.address, taskQueue });
    workers.push(second);
    const result = await handle.result();
    assert.deepEqual(await snapshotPrefix(s3, 'crash-data', 'data'), filesOnly(await snapshotTree(site.dataDir)));
    assert.equal(fx.count('UploadPart') - sentBefore, 13 - partsBefore, 'only the parts S3 lacked were sent after the crash');
    assert.equal(fx.count('CreateMultipartUpload'), 1, 'the upload was resumed, not begun again');
    assert.equal(fx.count('CompleteMultipartUpload'), 1);
    assert.equal(result.uploadAttempt, 2);
    assert.equal(result.s3?.resumedUploads, 1);
    assert.equal(await openUploads(s3, 'crash-data'), 0, 'no multipart upload left open');
    assert.equal((await fx.control.ledger()).servers.length, 0);
    await second.stop();
  } finally {
    await fx.control.clearFaults();
    await removeSite(site);
  }
});
