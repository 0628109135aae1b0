import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ResponseRecord } from '../sim/index.js';
import { releaseWorkflow } from '../workflows/release.js';
import { historyText } from './helpers/history-text.js';
import { addNotifyChannels, type NotifyChannels } from './helpers/notify-site.js';
import { makeReleaseSite, startReleaseSim, type ReleaseFixture } from './helpers/release-site.js';
import { filesOnly, openUploads, snapshotPrefix } from './helpers/s3-site.js';
import type { SampleSite } from './helpers/sample-site.js';
import { snapshotTree } from './helpers/sync-site.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker-process.js';

// A data-only release of an S3 site (TrendFinder's shape: compile → S3 sync → RestartAppServer),
// run by a worker in its own process, judged by the bucket, the sim's request log and the server's
// histories. Its compile step's env and its notify webhook are canary secrets.

const BUCKET = 'trend-data';
const PREFIX = 'weekly';
const canary = `canary-${randomUUID()}`;
const records: ResponseRecord[] = [];
let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
let s3: S3Client;
let site: SampleSite;
let notify: NotifyChannels;
let worker: WorkerProcess;
const taskQueue = uniqueTaskQueue('s3-release');
const releaseId = `release-s3-${Date.now()}`;

const count = (op: string): number => records.filter((r) => r.operation === op && r.status < 300).length;
const writes = (): number => count('PutObject') + count('UploadPart') + count('CreateMultipartUpload') + count('DeleteObjects');
const dataDir = (): string => path.join(site.dir, 'data');

before(async () => {
  [env, fx] = await Promise.all([startDevServer(), startReleaseSim({ observer: (r) => records.push(r) })]);
  const aws = { endpoint: fx.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } };
  s3 = new S3Client({ ...aws, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const sm = new SecretsManagerClient(aws);
  await sm.send(new CreateSecretCommand({ Name: 'trend/compile', SecretString: JSON.stringify({ token: canary }) }));
  sm.destroy();
  site = await makeReleaseSite(fx, {
    edit: (config) => {
      config.data = { localDir: 'data', deleteExtraneous: true, parallelism: 3, verify: 'all', target: { kind: 's3', bucket: BUCKET, prefix: PREFIX, retryInitialSeconds: 0.5 } };
      delete config.transfer;
      for (const step of config.compile.steps) (step.env as Record<string, unknown>).TREND_API_TOKEN = { secret: 'trend/compile', key: 'token' };
    },
  });
  notify = await addNotifyChannels(fx, site.configPath);
  worker = await startWorkerProcess({ address: env.address, taskQueue, env: { RUNBOOK_CONFIG: site.configPath } });
});
after(async () => {
  await worker?.stop().catch(() => undefined);
  await notify?.receiver.close();
  s3?.destroy();
  if (site) await rm(site.dir, { recursive: true, force: true });
  await fx?.close();
  await env?.teardown();
});

const release = (input: Record<string, unknown>, workflowId = releaseId) =>
  env.client.workflow.execute(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, requestedBy: 'test', ...input }] });

test('compile → S3 sync → restart: the bucket holds the compiled tree byte for byte, the app restarts, no Transfer server', async () => {
  const result = await release({ stages: ['compile', 'sync', 'restart'] });
  assert.deepEqual(result.stages.map((s) => [s.stage, s.result]), [['compile', 'ok'], ['sync', 'ok'], ['restart', 'ok']]);
  const local = filesOnly(await snapshotTree(dataDir()));
  assert.ok(Object.keys(local).length >= 2, `the compile wrote files: ${Object.keys(local).join(', ')}`);
  assert.deepEqual(await snapshotPrefix(s3, BUCKET, PREFIX), local);
  assert.equal(count('RestartAppServer'), 1, 'the Beanstalk app server was restarted once');
  assert.equal(await openUploads(s3, BUCKET), 0);
  const ledger = await fx.control.ledger();
  assert.equal(ledger.servers.length, 0, 'no Transfer server for an S3 target');
  assert.ok(result.sync?.s3?.verified && result.sync.s3.verified.files === Object.keys(local).length);
});

test('the same release id again: the compile rewrites identical files (new mtimes) and the sync uploads nothing', async () => {
  const before = writes();
  const stamps = JSON.stringify((await fx.control.state()).s3.buckets[BUCKET]?.objects);
  const mtimes = async (): Promise<number[]> => Promise.all(Object.keys(filesOnly(await snapshotTree(dataDir()))).map(async (f) => (await stat(path.join(dataDir(), f))).mtimeMs));
  const mtimesBefore = await mtimes();
  const result = await release({ stages: ['compile', 'sync', 'restart'] });
  assert.notDeepEqual(await mtimes(), mtimesBefore, 'the compile wrote its files again');
  assert.equal(writes(), before, 'no PutObject, UploadPart or DeleteObjects reached the sim');
  assert.equal(JSON.stringify((await fx.control.state()).s3.buckets[BUCKET]?.objects), stamps, 'every object is the one the first release wrote');
  assert.deepEqual(result.sync?.uploaded, { files: 0, bytes: 0 });
  assert.ok((result.sync?.skipped.files ?? 0) > 0);
  assert.equal(count('RestartAppServer'), 2);
});

test('a dry run says what would be uploaded and deleted, and the bucket is untouched', async () => {
  const local = Object.keys(filesOnly(await snapshotTree(dataDir()))).sort();
  const gone = local[0] as string;
  await rm(path.join(dataDir(), gone));
  await writeFile(path.join(dataDir(), 'added-note.txt'), 'new this week\n');
  const bucketBefore = await snapshotPrefix(s3, BUCKET, PREFIX);
  const before = writes();
  const result = await release({ dryRun: true, stages: ['compile', 'sync'] }, `${releaseId}-dry`);
  assert.equal(result.dryRun, true);
  assert.deepEqual(result.stages.map((s) => [s.stage, s.result]), [['compile', 'skipped'], ['sync', 'ok']]);
  assert.deepEqual(result.sync?.s3?.plan, { upload: ['added-note.txt'], delete: [gone], more: { upload: 0, delete: 0 } });
  assert.deepEqual(result.sync?.uploaded, { files: 1, bytes: 14 });
  assert.equal(result.sync?.deleted.files, 1);
  assert.equal(writes(), before, 'a dry run sends no write');
  assert.deepEqual(await snapshotPrefix(s3, BUCKET, PREFIX), bucketBefore, 'the bucket is as it was');
  assert.ok(!result.stages.find((s) => s.stage === 'sync')?.summary.includes('uploaded '), 'the summary says "would upload"');
});

/** Every file under a dir, node_modules aside. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && !e.parentPath.includes('node_modules')).map((e) => path.join(e.parentPath, e.name));
}

test('the canary secrets (compile env, notify webhook) are in no history, worker log or state file', async () => {
  assert.ok(notify.receiver.accepted().length > 0, 'the webhook was posted to: its secret URL was resolved');
  const runs = await waitFor('the releases and their children to be listed', async () => {
    const listed = [];
    for await (const w of env.client.workflow.list()) listed.push(w);
    return listed.length >= 8 ? listed : undefined;
  }, 30_000, 500);
  let events = 0;
  for (const run of runs) {
    const history = await env.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    events += history.events?.length ?? 0;
    const text = historyText(history);
    for (const secret of [canary, notify.canary]) assert.ok(!text.includes(secret), `a secret in the history of ${run.type} ${run.workflowId}`);
  }
  assert.ok(events > 100, `only ${events} events: the scan is broken`);
  const files = await filesUnder(path.join(site.dir, '.runbook'));
  assert.ok(files.some((f) => f.endsWith('.log')), 'the state dir holds the run logs');
  for (const file of files) {
    const bytes = await readFile(file);
    for (const secret of [canary, notify.canary]) assert.ok(!bytes.includes(secret), `a secret in ${path.relative(site.dir, file)}`);
  }
  assert.ok(worker.output().includes('worker ready'));
  for (const secret of [canary, notify.canary]) assert.ok(!worker.output().includes(secret), "a secret in the worker's output");
});
