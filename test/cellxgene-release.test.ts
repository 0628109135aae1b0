import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import yauzl from 'yauzl';
import { cellxgeneDemo } from '../client/demo-sites/cellxgene.js';
import { examplesDir, servedEnvironment } from '../client/demo-sites/python-app.js';
import { loadConfig } from '../config/load.js';
import { releaseWorkflow, type ReleaseResult } from '../workflows/release.js';
import { historyText } from './helpers/history-text.js';
import { releaseArgs, startPythonSite, type PythonSiteFixture } from './helpers/python-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { startWorkerProcess, type WorkerProcess } from './helpers/worker-process.js';

// cellxgene on the sim, as `npm run demo -- --site cellxgene` runs it: the matrices compiled and
// synced to S3, the Flask app deployed as a Python-platform source bundle (no image stage), the
// flask secret a Secrets Manager reference. Then the same release again reuses everything, the
// canary secret value is nowhere, and bad bundles fail before anything is provisioned.

const taskQueue = uniqueTaskQueue('cellxgene');
const canary = `canary-${randomUUID()}`;
const BUNDLES = 'elasticbeanstalk-us-east-1-123456789012';
let env: TestWorkflowEnvironment;
let fx: PythonSiteFixture;
let worker: WorkerProcess;
let client: Client;
let siteDir: string;
const s3 = (): S3Client => new S3Client({ endpoint: fx.sim.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });

suiteHooks(async () => {
  // A copy of the example's app, which the bad-input tests change.
  siteDir = path.join(os.tmpdir(), `cellxgene-app-${randomUUID()}`);
  await cp(path.join(examplesDir, 'cellxgene'), siteDir, { recursive: true });
  const [server, site] = await Promise.all([startDevServer(), startPythonSite(cellxgeneDemo, { siteDir })]);
  const sm = new SecretsManagerClient({ endpoint: site.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  await sm.send(new PutSecretValueCommand({ SecretId: 'cellxgene/flask-secret-key', SecretString: canary }));
  sm.destroy();
  const proc = await startWorkerProcess({ address: server.address, taskQueue, env: { RUNBOOK_CONFIG: site.configPath } });
  return {
    server, site, proc,
    stop: async () => {
      await proc.stop();
      await site.close();
      await server.teardown();
      await rm(siteDir, { recursive: true, force: true });
    },
  };
}, (s) => {
  env = s.server;
  fx = s.site;
  worker = s.proc;
  client = env.client;
});

function release(workflowId: string, extra: Record<string, unknown> = { autoApprove: true }, configPath = fx.configPath): Promise<ReleaseResult> {
  return client.workflow.execute(releaseWorkflow, { taskQueue, workflowId, args: releaseArgs(cellxgeneDemo, configPath, extra) as never, workflowExecutionTimeout: '5 minutes' });
}

function zipEntries(bytes: Uint8Array): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(Buffer.from(bytes), { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      const names: string[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        names.push(e.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve(names.sort()));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

let firstLabel = '';

test('the release: matrices byte-identical in S3, the app deployed as a Python source bundle (image stage skipped), healthy, its page served', async () => {
  const result = await release('cellxgene-release-1');
  assert.deepEqual(result.stages.map((s) => [s.stage, s.result]), [['compile', 'ok'], ['figures', 'ok'], ['sync', 'ok'], ['image', 'skipped'], ['deploy', 'ok']]);
  const deploy = result.deploy;
  assert.ok(deploy?.outcome === 'deployed');
  assert.equal(deploy.image, null, 'no image was built or pushed');
  assert.match(deploy.versionLabel ?? '', /^cellxgene-app-[0-9a-f]{16}$/);
  firstLabel = deploy.versionLabel ?? '';
  assert.equal(deploy.environmentCreated, true, 'the first deploy launched cellxgene-prod from beanstalk.platform');
  // The demo's own world checks: bucket read back, environment and page, the secret as an ARN.
  const lines = await cellxgeneDemo.verify(fx.sim, fx.configPath);
  assert.match(lines[0] ?? '', /^s3:\/\/cellxgene-site-data\/cxg\/: 10 files byte-identical/);
  const served = await servedEnvironment(fx.sim, await loadConfig(fx.configPath));
  assert.equal(served.env.VersionLabel, firstLabel);
  assert.equal(served.env.SolutionStackName, '64bit Amazon Linux 2023 v4.1.0 running Python 3.11');
  assert.deepEqual([served.status, served.page.app, served.page.versionLabel], [200, 'gunicorn application:application', firstLabel]);
  // The bundle is the app as `eb deploy` zips it: .ebignore keeps the data and the pipeline out, no Dockerrun.
  const client3 = s3();
  const zip = await client3.send(new GetObjectCommand({ Bucket: BUNDLES, Key: `cellxgene/${firstLabel}.zip` }));
  const names = await zipEntries(await zip.Body!.transformToByteArray());
  client3.destroy();
  assert.deepEqual(names, ['.ebignore', 'application.py', 'requirements.txt']);
});

test('the same release again: no object uploaded, no new version, the deploy reuses the version it runs and says so', async () => {
  const before = { puts: fx.count('s3', 'PutObject'), versions: fx.count('elasticbeanstalk', 'CreateApplicationVersion') };
  const result = await release('cellxgene-release-2');
  assert.equal(result.sync?.uploaded.files, 0);
  assert.equal(result.deploy?.versionLabel, firstLabel, 'the unchanged app names the same version');
  assert.equal(fx.count('s3', 'PutObject'), before.puts, 'neither a matrix nor the bundle was sent again');
  assert.equal(fx.count('elasticbeanstalk', 'CreateApplicationVersion'), before.versions, 'no new application version');
  const history = historyText(await client.workflow.getHandle('cellxgene-release-2-deploy').fetchHistory());
  assert.match(history, /app unchanged: cellxgene-app-[0-9a-f]{16} and its bundle are reused|"reused":true/);
  assert.equal((await servedEnvironment(fx.sim, await loadConfig(fx.configPath))).env.Health, 'Green');
});

test('the flask secret canary is nowhere: not in any history (from the server), the worker output, or a file under the state dir', async () => {
  const ids: string[] = [];
  for await (const w of client.workflow.list()) {
    ids.push(w.workflowId);
    const text = historyText(await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory());
    assert.ok(!text.includes(canary), `canary in the history of ${w.type} ${w.workflowId}`);
  }
  assert.ok(ids.includes('cellxgene-release-1-deploy') && ids.length >= 8, `only ${ids.length} runs listed: the scan is broken`);
  assert.ok(worker.output().includes('worker ready'), 'the worker output was captured');
  assert.ok(!worker.output().includes(canary), "canary in the worker's output");
  const stateDir = (await loadConfig(fx.configPath)).stateDir;
  const files: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(dir, e.name));
      else files.push(path.join(dir, e.name));
    }
  };
  await walk(stateDir);
  assert.ok(files.some((f) => f.endsWith('.zip')) && files.some((f) => f.endsWith('.log')), `the state dir holds no bundle or log (${files.length} files): the scan is broken`);
  for (const file of files) assert.ok(!(await readFile(file)).includes(canary), `canary in ${file}`);
  // The environment got the secret's ARN, resolved by Beanstalk on the instance.
  assert.match((await cellxgeneDemo.verify(fx.sim, fx.configPath))[2] ?? '', /FLASK_SECRET_KEY reaches the environment as the secret's ARN \(arn:aws:secretsmanager:us-east-1:/);
});

async function failsNaming(workflowId: string, extra: Record<string, unknown>, field: string, message: RegExp, configPath?: string): Promise<void> {
  const before = ['PutObject', 'CreateApplicationVersion', 'UpdateEnvironment', 'CreateEnvironment'].map((op) => fx.count(op === 'PutObject' ? 's3' : 'elasticbeanstalk', op));
  const err = await release(workflowId, extra, configPath).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError, `${workflowId} did not fail`);
  const text = historyText(await client.workflow.getHandle(workflowId).fetchHistory());
  assert.match(text, message);
  assert.ok(text.includes(`"field":"${field}"`), `the failure names ${field}`);
  const after = ['PutObject', 'CreateApplicationVersion', 'UpdateEnvironment', 'CreateEnvironment'].map((op) => fx.count(op === 'PutObject' ? 's3' : 'elasticbeanstalk', op));
  assert.deepEqual(after, before, 'nothing was uploaded or provisioned');
}

test('bad input fails before anything is provisioned, naming the field: a Dockerrun-only bundle list, an app without application.py', async () => {
  const badConfig = path.join(fx.demoDir, 'docker-list.config.json');
  const raw = JSON.parse(await readFile(fx.configPath, 'utf8')) as { beanstalk: Record<string, unknown> };
  raw.beanstalk.bundle = ['Dockerrun.aws.json', '.ebextensions'];
  await writeFile(badConfig, JSON.stringify(raw));
  await failsNaming('cellxgene-docker-list', { autoApprove: true }, 'beanstalk.bundle', /lists only the Docker platform's files/, badConfig);

  // The app's entry left out by .ebignore: the deploy's preflight refuses the bundle, and a whole
  // release refuses it before its compile (no child workflow starts).
  await writeFile(path.join(siteDir, '.ebignore'), `${await readFile(path.join(siteDir, '.ebignore'), 'utf8')}application.py\n`);
  try {
    await failsNaming('cellxgene-no-entry', { autoApprove: true, stages: ['deploy'] }, 'beanstalk.bundle', /neither application\.py nor a Procfile at its root/);
    await failsNaming('cellxgene-no-entry-full', { autoApprove: true }, 'beanstalk.bundle', /neither application\.py nor a Procfile at its root/);
    const history = await client.workflow.getHandle('cellxgene-no-entry-full').fetchHistory();
    const children = (history.events ?? []).filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
    assert.deepEqual(children, [], 'no stage started: the compile did not run');
  } finally {
    await cp(path.join(examplesDir, 'cellxgene', '.ebignore'), path.join(siteDir, '.ebignore'));
  }
});

test('a requirements.txt pip refuses: Beanstalk fails the deployment (as the Python platform does), the deploy rolls back, the old version serves again', async () => {
  const requirements = path.join(siteDir, 'requirements.txt');
  await writeFile(requirements, 'Flask===\n');
  try {
    const err = await release('cellxgene-bad-requirements', { autoApprove: true, stages: ['deploy'] }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, 'the release did not fail');
    const text = historyText(await client.workflow.getHandle('cellxgene-bad-requirements-deploy').fetchHistory());
    assert.ok(/DeployRolledBack/.test(text) && /Instance deployment failed to install application dependencies/.test(text), text.slice(-2500));
  } finally {
    await cp(path.join(examplesDir, 'cellxgene', 'requirements.txt'), requirements);
  }
  const served = await servedEnvironment(fx.sim, await loadConfig(fx.configPath));
  assert.deepEqual([served.env.VersionLabel, served.env.Health, served.status], [firstLabel, 'Green', 200]);
});
