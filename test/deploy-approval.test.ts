import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import yauzl from 'yauzl';
import type { RunningSim } from '../sim/index.js';
import { deployWorkflow } from '../workflows/deploy.js';
import { bucketKeys, DEFAULT_BUCKET, describeEnv, makeDeploySite, SEED_VERSION, simState, startDeploySuite } from './helpers/deploy-env.js';
import { deployStatus, npmRun, waitForStage } from './helpers/deploy-run.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { historyText } from './helpers/history-text.js';
import { uniqueTaskQueue } from './helpers/temporal-env.js';

let env: TestWorkflowEnvironment;
let sim: RunningSim;
const taskQueue = uniqueTaskQueue('deploy-approval');
suiteHooks(() => startDeploySuite(taskQueue), (suite) => ({ env, sim } = suite));

function readZip(file: string): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      const entries = new Map<string, string>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(entries));
      zip.readEntry();
    });
  });
}

test('happy path: build, push, approval from `npm run approve`, pinned bundle, update, Green, smoke check; no token in history', async () => {
  const site = await makeDeploySite(sim);
  const workflowId = `deploy-sample-site-happy-${Date.now()}`;
  const handle = await env.client.workflow.start(deployWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath }] });

  const waiting = await waitForStage(handle, 'awaiting-approval');
  assert.equal(waiting.approval.waiting, true);
  assert.equal(waiting.approval.how.cli, `npm run approve -- ${workflowId} [--by NAME] [--note TEXT]`);
  assert.equal(waiting.approval.how.ui.signal, 'approveDeploy');
  assert.match(waiting.nextAction, /npm run approve -- deploy-sample-site-happy-/);
  assert.match(waiting.approval.deploys?.image ?? '', /^public\.ecr\.aws\/sim\/sample-site@sha256:[0-9a-f]{64}$/);
  assert.equal(waiting.approval.deploys?.currentVersion, SEED_VERSION);
  assert.deepEqual(await bucketKeys(sim), [], 'nothing uploaded before the approval');

  const approved = await npmRun('approve', [workflowId, '--by', 'alice', '--note', 'numbers checked'], env.address);
  assert.equal(approved.code, 0, approved.stderr);
  assert.match(approved.stdout, /approved by alice/);

  const result = await handle.result();
  assert.equal(result.deployed, true);
  assert.equal(result.outcome, 'deployed');
  assert.equal(result.approvedBy, 'alice');
  assert.equal(result.approvalNote, 'numbers checked');
  assert.ok(result.approvedAt && Date.parse(result.approvedAt) > 0);
  assert.equal(result.previousVersion, SEED_VERSION);
  assert.equal(result.rolledBack, false);
  assert.equal(result.finalHealth?.color, 'Green');
  assert.equal(result.smoke?.status, 200);
  // Against the sim the check goes to EndpointURL; the CNAME reported is AWS's regional name.
  assert.match(result.smoke?.url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/health$/);
  assert.match(result.cname ?? '', /^[a-z0-9-]+\.us-east-\d\.elasticbeanstalk\.com$/);
  assert.match(result.image?.digest ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.ok(typeof result.deployDurationMs === 'number' && result.deployDurationMs > 0);
  assert.match(result.versionLabel ?? '', /^sample-site-\d{8}-\d{6}-[0-9a-f]{4}$/);

  const live = await describeEnv(sim);
  assert.equal(live?.VersionLabel, result.versionLabel);
  assert.equal(live?.Health, 'Green');

  // The registry has the digest, and the bundle in S3 runs exactly that digest.
  const state = await simState(sim);
  const pushed = state.ecrPublic.repositories['sample-site']?.images.map((i) => i.digest) ?? [];
  assert.ok(pushed.includes(result.image?.digest ?? ''), 'the digest is in ECR Public');
  const key = `sample-site/${result.versionLabel}.zip`;
  const object = state.s3.buckets[DEFAULT_BUCKET]?.objects[key];
  assert.ok(object, `bundle uploaded to s3://${DEFAULT_BUCKET}/${key}`);
  const entries = await readZip(path.join(sim.stateDir, 's3', DEFAULT_BUCKET, object.file));
  assert.deepEqual([...entries.keys()].sort(), ['.ebextensions/01-efs-mount.config', 'Dockerrun.aws.json'], '.ebignore dropped the README');
  const dockerrun = JSON.parse(entries.get('Dockerrun.aws.json') ?? '{}') as { Image: { Name: string }; Ports: unknown[]; Volumes: unknown[] };
  assert.equal(dockerrun.Image.Name, result.image?.reference);
  assert.equal(dockerrun.Volumes.length, 1, 'the EFS volume mapping is kept');

  // Neither the registry password nor the token it came in may ever reach history.
  const history = historyText(await handle.fetchHistory());
  assert.ok(history.includes(result.versionLabel ?? '(none)'), 'payloads were decoded (the scan is not vacuous)');
  assert.ok(state.ecrPublic.tokens.length > 0, 'the push did log in');
  for (const { password } of state.ecrPublic.tokens) {
    assert.ok(!history.includes(password), 'registry password not in history');
    assert.ok(!history.includes(Buffer.from(`AWS:${password}`).toString('base64')), 'authorization token not in history');
  }

  const late = await npmRun('approve', [workflowId, '--by', 'bob'], env.address);
  assert.equal(late.code, 2, 'deciding on a run that does not wait is a wrong argument');
  assert.match(late.stderr, /is COMPLETED, not waiting for approval/);
});

test('rejection with `npm run reject`: nothing uploaded, nothing changed, the reason in the result', async () => {
  const site = await makeDeploySite(sim);
  const before = await describeEnv(sim);
  const keysBefore = await bucketKeys(sim);
  const workflowId = `deploy-sample-site-reject-${Date.now()}`;
  const handle = await env.client.workflow.start(deployWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, skipBuild: true }] });
  await waitForStage(handle, 'awaiting-approval');

  const noReason = await npmRun('reject', [workflowId], env.address);
  assert.equal(noReason.code, 2);
  assert.match(noReason.stderr, /--reason is required/);

  const rejected = await npmRun('reject', [workflowId, '--by', 'carol', '--reason', 'figures are stale'], env.address);
  assert.equal(rejected.code, 0, rejected.stderr);
  const result = await handle.result();
  assert.equal(result.deployed, false);
  assert.equal(result.outcome, 'rejected');
  assert.equal(result.rejectedBy, 'carol');
  assert.equal(result.rejectionReason, 'figures are stale');
  assert.equal('approvedBy' in result, false, 'a rejected deploy names no approver');
  assert.equal(result.image?.pushed, false, 'skipBuild resolved the pushed image instead of building');
  assert.equal((await describeEnv(sim))?.VersionLabel, before?.VersionLabel);
  assert.deepEqual(await bucketKeys(sim), keysBefore);
  const status = await deployStatus(handle);
  assert.equal(status?.stage, 'rejected');
});

test('approval timeout: the run ends without deploying', async () => {
  const site = await makeDeploySite(sim, { beanstalk: { approvalTimeoutHours: 1 / 1800 } }); // 2 s
  const before = await describeEnv(sim);
  const handle = await env.client.workflow.start(deployWorkflow, {
    taskQueue,
    workflowId: `deploy-sample-site-timeout-${Date.now()}`,
    args: [{ configPath: site.configPath, skipBuild: true }],
  });
  // A signal before the gate is refused, not remembered as an approval.
  const early = await waitForStage(handle, 'awaiting-approval');
  assert.ok(early.approval.deadline);
  const result = await handle.result();
  assert.equal(result.deployed, false);
  assert.equal(result.outcome, 'approval-timed-out');
  assert.equal('approvedBy' in result, false, 'a timed-out deploy names no approver');
  assert.equal((await describeEnv(sim))?.VersionLabel, before?.VersionLabel);
});
