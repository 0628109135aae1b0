import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { PutBucketWebsiteCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { htanDashboard, readHtanWorld, seedHtanAccount, writeHtanConfig } from '../client/demo-sites/htan-dashboard.js';
import { releaseWorkflow, type ReleaseResult } from '../workflows/release.js';
import { historyText } from './helpers/history-text.js';
import { createBucket, startS3Sim, type S3Fixture } from './helpers/s3-site.js';
import { startDevServer, startPollingWorker, uniqueTaskQueue, type PollingWorker } from './helpers/temporal-env.js';
import { waitFor } from './helpers/worker-process.js';

// The HTAN dashboard's release end to end on the sim: the pipeline (compile) → the S3 website
// sync → the page fetched from the website endpoint → the pipeline image in private ECR, with no
// Beanstalk anywhere; again with nothing to upload; on a Temporal Schedule; a canary token
// nowhere; and bad input refused before anything is compiled or uploaded.

const canary = `canary-${randomUUID()}`;
let env: TestWorkflowEnvironment;
let fx: S3Fixture;
let worker: PollingWorker;
let root: string;
const taskQueue = uniqueTaskQueue('htan');
const runs: string[] = [];

before(async () => {
  env = await startDevServer();
  fx = await startS3Sim();
  await seedHtanAccount(fx.sim, { token: canary });
  worker = await startPollingWorker(env, taskQueue);
  root = await mkdtemp(path.join(tmpdir(), 'htan-'));
});

after(async () => {
  await worker?.stop();
  await fx?.close();
  await env?.teardown();
  if (root) await rm(root, { recursive: true, force: true });
});

const uploads = (): number => fx.count('PutObject') + fx.count('UploadPart');

async function release(configPath: string, extra: Record<string, unknown> = {}): Promise<ReleaseResult> {
  const workflowId = `htan-${randomUUID().slice(0, 8)}`;
  runs.push(workflowId);
  return env.client.workflow.execute(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath, ...extra }] });
}

/** The failure types along the cause chain of a failed release. */
async function failureTypes(configPath: string, extra: Record<string, unknown> = {}): Promise<{ types: string[]; message: string; details: unknown[] }> {
  try {
    await release(configPath, extra);
  } catch (err) {
    const types: string[] = [];
    let details: unknown[] = [];
    let message = '';
    for (let c: unknown = err; c instanceof Error; c = c.cause) {
      if (c instanceof ApplicationFailure) {
        types.push(c.type ?? '');
        details = c.details ?? details;
        message = c.message;
      }
    }
    return { types, message, details };
  }
  throw new Error('the release was expected to fail');
}

test('the HTAN release: {} runs compile → sync → website → image; the bucket holds the local pages, the website endpoint serves the page, private ECR holds the digest', async () => {
  const configPath = await writeHtanConfig(fx.sim, path.join(root, 'main'));
  const result = await release(configPath);
  assert.deepEqual(result.stages.map((s) => s.stage), ['compile', 'figures', 'sync', 'website', 'image']);
  assert.equal(result.deploy, null, 'no Beanstalk stage');
  const world = await readHtanWorld(fx.sim, configPath);
  assert.ok(Object.keys(world.local).length >= 8, 'the pipeline wrote its pages');
  assert.deepEqual(world.bucket, world.local, 'bucket bytes identical to the local pages');
  assert.equal(world.page.status, 200);
  assert.ok(world.page.bytes.equals(world.localPage), 'the website serves the page as built');
  assert.equal(world.page.contentType, 'text/html; charset=utf-8');
  assert.equal(result.website?.smoke.bytes, world.localPage.length);
  const digest = result.website?.image?.digest ?? '';
  assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  assert.ok(world.imageDigests.includes(digest), 'the pushed digest is in the sim\'s private ECR');
  assert.match(result.website?.image?.repository ?? '', /^123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/htan-pipeline$/);
  // What `npm run demo -- --site htan-dashboard` checks after its release says the same.
  assert.equal((await htanDashboard.verify(fx.sim, configPath)).length, 3);

  // The same site again: the same pages, nothing re-uploaded.
  const before = uploads();
  const again = await release(configPath);
  assert.equal(uploads(), before, 'a second run uploads nothing');
  assert.equal(again.sync?.uploaded.files, 0);
  assert.deepEqual((await readHtanWorld(fx.sim, configPath)).bucket, world.local);
});

test('a Temporal Schedule for the site, triggered twice: both runs complete and the second run\'s pages (a new data release) are what the website serves', async () => {
  const configPath = await writeHtanConfig(fx.sim, path.join(root, 'scheduled'));
  const scheduleId = `htan-${randomUUID().slice(0, 8)}`;
  const handle = await env.client.schedule.create({
    scheduleId,
    spec: { intervals: [{ every: '7 days' }] },
    action: { type: 'startWorkflow', workflowType: 'releaseWorkflow', taskQueue, args: [{ configPath }], workflowId: `${scheduleId}-run` },
  });
  try {
    const fire = async (n: number): Promise<void> => {
      await handle.trigger();
      const action = await waitFor(`scheduled run ${n}`, async () => {
        const recent = (await handle.describe()).info.recentActions;
        return recent.length >= n ? recent[n - 1] : undefined;
      }, 60_000, 250);
      runs.push(action.action.workflow.workflowId);
      await env.client.workflow.getHandle(action.action.workflow.workflowId, action.action.workflow.firstExecutionRunId).result();
    };
    await fire(1);
    assert.match((await readHtanWorld(fx.sim, configPath)).page.bytes.toString(), /Data release v5/);
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { compile: { steps: { env: Record<string, unknown> }[] } };
    (config.compile.steps[0] as { env: Record<string, unknown> }).env.HTAN_DATA_RELEASE = 'v6';
    await writeFile(configPath, JSON.stringify(config));
    await fire(2);
    const world = await readHtanWorld(fx.sim, configPath);
    assert.match(world.page.bytes.toString(), /Data release v6/);
    assert.deepEqual(world.bucket, world.local);
    assert.equal((await handle.describe()).info.recentActions.length, 2);
  } finally {
    await handle.delete();
  }
});

test('the canary token (a Secrets Manager reference in the pipeline\'s env) is in no history, log or state file', async () => {
  assert.ok(runs.length >= 4);
  let histories = 0;
  for (const id of runs) {
    for (const child of ['', '-compile', '-sync', '-website']) {
      const history = await env.client.workflow.getHandle(`${id}${child}`).fetchHistory().catch(() => undefined);
      if (!history) continue;
      histories += 1;
      assert.ok(!historyText(history).includes(canary), `canary in the history of ${id}${child}`);
    }
  }
  assert.ok(histories >= runs.length * 4);
  const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  assert.ok(files.some((f) => f.endsWith('.log')), 'the run logs are among the files scanned');
  for (const file of files) assert.ok(!(await readFile(file)).includes(canary), `canary in ${path.relative(root, file)}`);
});

test('bad input fails before anything is compiled or uploaded, naming the field: no website hosting, a bucket in another region, no smoke page', async () => {
  const variant = async (name: string, edit: (config: Record<string, unknown> & { data: { target: Record<string, unknown> } }) => void): Promise<string> => {
    const configPath = await writeHtanConfig(fx.sim, path.join(root, name));
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown> & { data: { target: Record<string, unknown> } };
    edit(config);
    await writeFile(configPath, JSON.stringify(config));
    return configPath;
  };
  const s3 = fx.client();
  await createBucket(s3, 'htan-no-website');
  await createBucket(fx.client('us-west-2'), 'htan-west', 'us-west-2');
  await fx.client('us-west-2').send(new PutBucketWebsiteCommand({ Bucket: 'htan-west', WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } } }));
  const before = uploads();

  const noWebsite = await failureTypes(await variant('no-website', (c) => (c.data.target.bucket = 'htan-no-website')));
  assert.ok(noWebsite.types.includes('NoWebsiteHosting'), noWebsite.types.join());
  assert.match(noWebsite.message, /data\.target\.bucket "htan-no-website" has no static website hosting/);
  assert.deepEqual(noWebsite.details, [{ field: 'data.target.bucket' }]);

  const otherRegion = await failureTypes(await variant('other-region', (c) => (c.data.target.bucket = 'htan-west')));
  assert.ok(otherRegion.types.includes('BucketInOtherRegion'), otherRegion.types.join());
  assert.match(otherRegion.message, /data\.target\.bucket "htan-west" is in us-west-2, but the site's region \(aws\.region\) is us-east-1/);

  const noSection = await failureTypes(await variant('no-smoke-section', (c) => delete c.website), { stages: ['compile', 'sync', 'website'] });
  assert.ok(noSection.types.includes('InvalidConfig'));
  assert.match(noSection.message, /has no "website" section, which the "website" stage needs: add one such as \{"smokePath"/);

  const noPath = await failureTypes(await variant('no-smoke-path', (c) => (c.website = {})));
  assert.ok(noPath.types.includes('InvalidConfig'));
  assert.match(noPath.message, /website\.smokePath/);

  assert.equal(uploads(), before, 'nothing uploaded');
  for (const name of ['no-website', 'other-region', 'no-smoke-section', 'no-smoke-path']) {
    const compiled = await readdir(path.join(root, name, 'site', 'data')).catch(() => []);
    assert.deepEqual(compiled, [], `${name}: the pipeline never ran`);
  }
  // The website bucket of the good runs still serves; the bad ones touched nothing there.
  assert.equal((await readHtanWorld(fx.sim, path.join(root, 'main', 'runbook.config.json'))).page.status, 200);
});
