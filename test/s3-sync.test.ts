import assert from 'node:assert/strict';
import { rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRunbookWorker, type RunbookWorker } from '../worker/create-worker.js';
import { syncDataWorkflow } from '../workflows/sync.js';
import { innermostMessage } from '../workflows/failure-message.js';
import { createBucket, filesOnly, makeS3Site, objectStamps, openUploads, snapshotPrefix, startS3Sim, type S3Fixture } from './helpers/s3-site.js';
import { removeSite, snapshotTree, writeTree } from './helpers/sync-site.js';
import { startDevServer, uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';

let env: TestWorkflowEnvironment;
let fx: S3Fixture;
before(async () => {
  [env, fx] = await Promise.all([startDevServer(), startS3Sim()]);
});
after(async () => {
  await fx?.close();
  await env?.teardown();
});

async function withWorker<T>(fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue('s3-sync');
  const worker: RunbookWorker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  return worker.runUntil(fn(taskQueue));
}

const MiB = 1024 * 1024;

test('S3 target: byte-identical, then nothing, then exactly the 1% changed; deletions only with deleteExtraneous; no Transfer server', async () => {
  const s3 = fx.client();
  await createBucket(s3, 'site-data');
  const site = await makeS3Site(fx, { bucket: 'site-data', prefix: 'cellxgene/data', multipartThresholdMb: 5, partSizeMb: 5 });
  const files: Record<string, string | number> = Object.fromEntries(Array.from({ length: 198 }, (_, i) => [`matrix/part-${String(i).padStart(3, '0')}.bin`, 2_000 + i]));
  Object.assign(files, { 'index.html': '<h1>hello</h1>', 'big/matrix.cxg': 12 * MiB + 123, 'ünï cödé/名前.txt': 'x', empty: '' });
  await writeTree(site.dataDir, files);
  const writes = () => fx.count('PutObject') + fx.count('UploadPart') + fx.count('CreateMultipartUpload') + fx.count('DeleteObjects');
  const run = (taskQueue: string, id: string, extra: Record<string, unknown> = {}) =>
    env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `s3-sync-${id}-${Date.now()}`, args: [{ configPath: site.configPath, ...extra }] });
  try {
    await withWorker(async (taskQueue) => {
      // 1. Everything goes up, byte for byte; the big file in SHA-256-checked parts.
      const first = await run(taskQueue, 'first');
      assert.deepEqual(await snapshotPrefix(s3, 'site-data', 'cellxgene/data'), filesOnly(await snapshotTree(site.dataDir)));
      assert.equal(first.uploaded.files, 202);
      assert.equal(fx.count('PutObject'), 201);
      assert.equal(fx.count('UploadPart'), 3, '12 MiB in 5 MiB parts');
      const head = await s3.send(new HeadObjectCommand({ Bucket: 'site-data', Key: 'cellxgene/data/big/matrix.cxg', ChecksumMode: 'ENABLED' }));
      assert.match(head.ChecksumSHA256 ?? '', /-3$/, 'S3 keeps the composite SHA-256 of the parts');
      assert.equal(first.s3?.verified?.checksummed, 202);
      assert.ok((first.s3?.requests?.put ?? 0) >= 205 && (first.s3?.estimatedCost?.requests ?? 0) > 0);
      assert.equal(await openUploads(s3, 'site-data'), 0);

      // 2. Unchanged, though every file has a new mtime (all that aws s3 sync compares besides size): nothing is sent again.
      const stamps = await objectStamps(fx, 'site-data');
      const later = new Date(Date.now() + 3_600_000);
      for (const rel of Object.keys(filesOnly(await snapshotTree(site.dataDir)))) await utimes(path.join(site.dataDir, rel), later, later);
      const puts = writes();
      const second = await run(taskQueue, 'second');
      assert.deepEqual(second.uploaded, { files: 0, bytes: 0 });
      assert.equal(writes(), puts, 'a second run sends nothing');
      assert.deepEqual(await objectStamps(fx, 'site-data'), stamps);

      // 3. 1% of the files change (same size for one, so only the checksum can tell): exactly those go up.
      const changed = ['matrix/part-007.bin', 'index.html'];
      await writeTree(site.dataDir, { 'matrix/part-007.bin': 2_007 });
      await writeFile(path.join(site.dataDir, 'index.html'), '<h1>hello, world</h1>');
      // A dry run names exactly those, and writes nothing.
      const beforeDry = writes();
      const dry = await run(taskQueue, 'dry', { dryRun: true });
      assert.equal(writes(), beforeDry, 'a dry run writes nothing');
      assert.deepEqual(await objectStamps(fx, 'site-data'), stamps);
      assert.deepEqual(dry.uploaded, { files: 2, bytes: 2_007 + 21 });
      assert.deepEqual(dry.s3?.plan?.upload, [...changed].sort());
      assert.deepEqual(dry.s3?.plan?.delete, []);
      const [putsBefore, partsBefore] = [fx.count('PutObject'), fx.count('UploadPart')];
      const third = await run(taskQueue, 'third');
      assert.deepEqual(third.uploaded.files, 2);
      assert.equal(fx.count('PutObject') - putsBefore, 2, 'one PutObject per changed file, as the sim counted them');
      assert.equal(fx.count('UploadPart') - partsBefore, 0, 'the unchanged big file sends no part');
      const after3 = await objectStamps(fx, 'site-data');
      const resent = Object.keys(after3).filter((k) => after3[k] !== stamps[k]).sort();
      assert.deepEqual(resent, changed.map((c) => `cellxgene/data/${c}`).sort());
      assert.deepEqual(await snapshotPrefix(s3, 'site-data', 'cellxgene/data'), filesOnly(await snapshotTree(site.dataDir)));

      // 4. A file removed locally stays in the bucket without deleteExtraneous, and goes with it.
      await rm(path.join(site.dataDir, 'matrix/part-000.bin'));
      const dryPrune = await run(taskQueue, 'dry-prune', { dryRun: true, deleteExtraneous: true });
      assert.deepEqual(dryPrune.s3?.plan, { upload: [], delete: ['matrix/part-000.bin'], more: { upload: 0, delete: 0 } });
      assert.ok((await objectStamps(fx, 'site-data'))['cellxgene/data/matrix/part-000.bin'], 'a dry run deletes nothing');
      const kept = await run(taskQueue, 'keep');
      assert.deepEqual(kept.deleted, { files: 0, bytes: 0 });
      assert.ok((await objectStamps(fx, 'site-data'))['cellxgene/data/matrix/part-000.bin'], 'kept without deleteExtraneous');
      const pruned = await run(taskQueue, 'prune', { deleteExtraneous: true });
      assert.deepEqual(pruned.deleted, { files: 1, bytes: 2_000 });
      assert.deepEqual(await snapshotPrefix(s3, 'site-data', 'cellxgene/data'), filesOnly(await snapshotTree(site.dataDir)));
      assert.equal(fx.count('DeleteObjects'), 1);
    });
    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length, 0, 'no Transfer server for an S3 target');
  } finally {
    await removeSite(site);
  }
});

test('S3 website target: content types from the extension', async () => {
  const s3 = fx.client();
  await createBucket(s3, 'htan-site');
  const site = await makeS3Site(fx, { bucket: 'htan-site', prefix: 'www', website: true });
  await writeTree(site.dataDir, { 'index.html': '<p>hi</p>', 'css/site.css': 'p{}', 'data.bin': 10 });
  try {
    await withWorker((taskQueue) => env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `s3-web-${Date.now()}`, args: [{ configPath: site.configPath }] }));
    const type = async (key: string) => (await s3.send(new HeadObjectCommand({ Bucket: 'htan-site', Key: `www/${key}` }))).ContentType;
    assert.equal(await type('index.html'), 'text/html; charset=utf-8');
    assert.equal(await type('css/site.css'), 'text/css; charset=utf-8');
    assert.match(await type('data.bin') ?? '', /octet-stream/, 'an unknown extension keeps the default');
  } finally {
    await removeSite(site);
  }
});

test('S3 target: bad input fails before anything is uploaded, naming the field', async () => {
  const s3 = fx.client();
  await createBucket(fx.client('us-west-2'), 'west-bucket', 'us-west-2');
  const cases: { target: Record<string, unknown>; message: RegExp }[] = [
    { target: { bucket: 'no-such-bucket', prefix: 'data' }, message: /data\.target\.bucket "no-such-bucket" does not exist/ },
    { target: { bucket: 'west-bucket', prefix: 'data' }, message: /data\.target\.bucket "west-bucket" is in us-west-2, but the site's region \(aws\.region\) is us-east-1/ },
    { target: { bucket: 'site-data', prefix: 'data/../other' }, message: /data\.target\.prefix must not contain "\.\."/ },
    { target: { bucket: '', prefix: 'data' }, message: /data\.target\.bucket must not be empty/ },
  ];
  const writes = () => fx.count('PutObject') + fx.count('UploadPart') + fx.count('CreateMultipartUpload') + fx.count('DeleteObjects');
  for (const c of cases) {
    const site = await makeS3Site(fx, c.target);
    await writeTree(site.dataDir, { 'a.bin': 100 });
    const before = writes();
    try {
      await withWorker(async (taskQueue) => {
        const err = await env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `s3-bad-${Date.now()}`, args: [{ configPath: site.configPath }] }).then(
          () => assert.fail('the sync should have failed'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof WorkflowFailedError);
        assert.match(innermostMessage(err), c.message);
      });
      assert.equal(writes(), before, 'nothing was written');
    } finally {
      await removeSite(site);
    }
  }
  assert.equal(await openUploads(s3, 'west-bucket').catch(() => 0), 0);
  assert.equal((await fx.control.ledger()).servers.length, 0);
});
