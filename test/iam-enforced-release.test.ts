import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseWorkflow } from '../workflows/release.js';
import { syncDataWorkflow } from '../workflows/sync.js';
import { deployWorkflow } from '../workflows/deploy.js';
import { inRegion, type PolicyDocument } from '../sim/index.js';
import { describeEnv, simState } from './helpers/deploy-env.js';
import { makeReleaseSite, startReleaseSuite, type ReleaseFixture } from './helpers/release-site.js';
import { repoRoot } from './helpers/sample-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue } from './helpers/temporal-env.js';

// The sim enforces IAM: the runbook's own identity (the local default credentials) gets exactly
// docs/iam-policy.json, and a whole release must pass under it, in us-east-2 (the ContactTracing
// site's region) with its image in ECR Public (us-east-1). Taking away one permission an
// undo step needs must stop the release before anything billable exists, naming the action.

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
let policy: PolicyDocument & { Statement: { Sid?: string; Action?: string | string[] }[] };
const taskQueue = uniqueTaskQueue('iam');
const REGION = 'us-east-2';
const RUNBOOK_IDENTITY = { accessKeyId: 'AKIALOCALSIM', secretAccessKey: 'local-sim', userName: 'runbook-local' };

/** docs/iam-policy.json with the account filled in, less the named actions. */
function policyWithout(...actions: string[]): PolicyDocument {
  return {
    ...policy,
    Statement: policy.Statement.map((s) => ({ ...s, Action: (Array.isArray(s.Action) ? s.Action : [s.Action ?? '']).filter((a) => !actions.includes(a)) })),
  } as PolicyDocument;
}

const attach = (doc: PolicyDocument) => fx.control.addPrincipal({ ...RUNBOOK_IDENTITY, policy: doc });

suiteHooks(
  async () => {
    const text = await readFile(path.join(repoRoot, 'docs', 'iam-policy.json'), 'utf8');
    policy = JSON.parse(text.replaceAll('ACCOUNT_ID', '123456789012')) as typeof policy;
    return startReleaseSuite(taskQueue, { region: REGION });
  },
  (suite) => ({ env, fx } = suite),
);

test('a whole release passes under docs/iam-policy.json, enforced by the sim', async () => {
  await attach(policyWithout());
  const site = await makeReleaseSite(fx);
  const handle = await env.client.workflow.start(releaseWorkflow, {
    taskQueue, workflowId: `iam-release-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }],
  });
  const result = await handle.result();
  assert.deepEqual(result.stages.map((s) => [s.stage, s.result]), [['compile', 'ok'], ['figures', 'ok'], ['sync', 'ok'], ['image', 'ok'], ['deploy', 'ok']]);
  assert.equal((await describeEnv(fx.sim, undefined, REGION))?.VersionLabel, result.deploy?.versionLabel);
  assert.equal((await fx.control.ledger()).alive, 0);
});

async function failure(run: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await run.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError, `expected the workflow to fail, got ${String(err)}`);
  let cause: unknown = err.cause;
  while (cause && !(cause instanceof ApplicationFailure && cause.type === 'MissingPermission')) cause = (cause as Error).cause;
  assert.ok(cause instanceof ApplicationFailure, `no MissingPermission failure in ${err.message}: ${String(err.cause)}`);
  return cause;
}

for (const action of ['transfer:DeleteServer', 'transfer:DeleteUser']) {
  test(`without ${action}, the sync refuses before any Transfer server exists and names the action`, async () => {
    await attach(policyWithout(action));
    const before = (await fx.control.ledger()).servers.length;
    const site = await makeReleaseSite(fx);
    await mkdir(path.join(site.dir, 'data'), { recursive: true });
    await writeFile(path.join(site.dir, 'data', 'index.json'), '{"rows": 1}');
    const err = await failure(env.client.workflow.execute(syncDataWorkflow, {
      taskQueue, workflowId: `iam-sync-${action}-${Date.now()}`, args: [{ configPath: site.configPath }],
    }));
    assert.match(err.message, new RegExp(`not allowed ${action}`));
    assert.match(err.message, /statement "SyncTransferServerLifecycle"/);
    assert.equal((await fx.control.ledger()).servers.length, before, 'no Transfer server was created');
  });
}

test('without elasticbeanstalk:UpdateEnvironment (the rollback), the deploy refuses before building or uploading anything', async () => {
  await attach(policyWithout('elasticbeanstalk:UpdateEnvironment'));
  const before = await simState(fx.sim);
  const site = await makeReleaseSite(fx);
  const err = await failure(env.client.workflow.execute(deployWorkflow, {
    taskQueue, workflowId: `iam-deploy-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }],
  }));
  assert.match(err.message, /not allowed elasticbeanstalk:UpdateEnvironment/);
  assert.match(err.message, /statement "DeployBeanstalk"/);
  const after = await simState(fx.sim);
  assert.equal(after.docker.images.length, before.docker.images.length, 'no image was built');
  assert.equal(inRegion(after, REGION).eb.versions.length, inRegion(before, REGION).eb.versions.length, 'no application version was made');
  assert.equal((await describeEnv(fx.sim, undefined, REGION))?.Status, 'Ready');
});

test('without ecr-public:PutImage, the image push fails at once, names the action, and no image lands', async () => {
  await attach(policyWithout('ecr-public:PutImage'));
  const imagesIn = (state: Awaited<ReturnType<typeof simState>>) => Object.values(state.ecrPublic.repositories).flatMap((r) => r.images.map((i) => i.digest));
  const before = imagesIn(await simState(fx.sim));
  const site = await makeReleaseSite(fx);
  const err = await failure(env.client.workflow.execute(deployWorkflow, {
    taskQueue, workflowId: `iam-push-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }],
  }));
  assert.match(err.message, /not allowed ecr-public:PutImage on arn:aws:ecr-public:/);
  assert.match(err.message, /statement "ImagePushToEcrPublic"/);
  assert.equal(err.nonRetryable, true);
  assert.deepEqual(imagesIn(await simState(fx.sim)), before, 'no image was pushed');
});
