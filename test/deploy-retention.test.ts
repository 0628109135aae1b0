import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { DescribeApplicationsCommand, ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import { CreateRepositoryCommand, ECRClient, GetLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { inRegion, simControl, startSim, type RunningSim } from '../sim/index.js';
import { deployWorkflow } from '../workflows/deploy.js';
import { bundleImageDigests } from '../activities/deploy/bundle-images.js';
import { DEFAULT_BUCKET, describeEnv, makeDeploySite, simState, startDeploySuite } from './helpers/deploy-env.js';
import { deployStatus } from './helpers/deploy-run.js';
import { removeSite } from './helpers/sync-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue } from './helpers/temporal-env.js';

// A lab deploys every week for months: Beanstalk's version quota (10 here, 1000 per region on
// AWS) must never refuse a deploy after its build, push and approval, and neither the bundle
// bucket nor the image repository may keep what no retained version runs.

let env: TestWorkflowEnvironment;
let sim: RunningSim;
const taskQueue = uniqueTaskQueue('deploy-retention');

suiteHooks(
  () => startDeploySuite(taskQueue, { sim: () => startSim({ beanstalkUpdateSeconds: 0.3, versionProcessSeconds: 0.1, transferStartSeconds: 0.2, applicationVersionQuota: 10 }) }),
  (suite) => ({ env, sim } = suite),
);

/** What the sim holds: versions of the app (label → bundle key), the bucket's keys, the repository's digests. */
async function world() {
  const state = await simState(sim);
  const versions = inRegion(state).eb.versions.filter((v) => v.applicationName === 'sample-site');
  return {
    versions: new Map(versions.map((v) => [v.versionLabel, v.sourceBundle])),
    bucket: Object.keys(state.s3.buckets[DEFAULT_BUCKET]?.objects ?? {}).sort(),
    images: (state.ecrPublic.repositories['sample-site']?.images ?? []).map((i) => i.digest),
    stateDir: sim.stateDir,
    state,
  };
}

test('twelve deploys under a version quota of 10 all succeed; versions, bundles and images are kept to what is retained', async () => {
  const site = await makeDeploySite(sim);
  const deployed: { label: string; digest: string; previous: string | null }[] = [];
  try {
    for (let i = 1; i <= 12; i++) {
      // A new image each week: the docker double's digest follows the build context.
      await writeFile(path.join(site.dir, 'build-stamp.txt'), `week ${i}\n`);
      const result = await env.client.workflow.execute(deployWorkflow, { taskQueue, workflowId: `deploy-retention-${i}-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }] });
      assert.equal(result.outcome, 'deployed', `deploy ${i}`);
      const digest = result.image?.digest as string;
      deployed.push({ label: result.versionLabel as string, digest, previous: result.previousVersion });

      const now = await world();
      assert.ok(now.versions.size <= 10, `after deploy ${i} the application holds ${now.versions.size} versions`);
      // The rollback target (what ran before this deploy) and its image survive every deploy.
      if (result.previousVersion) {
        assert.ok(now.versions.has(result.previousVersion), `after deploy ${i}, rollback target ${result.previousVersion} still exists`);
        if (i > 1) assert.ok(now.images.includes((deployed[i - 2] as { digest: string }).digest), `after deploy ${i}, the rollback target's image is still in the repository`);
      }
    }
    assert.equal(new Set(deployed.map((d) => d.digest)).size, 12, 'each deploy pushed its own image');

    const end = await world();
    const env0 = await describeEnv(sim);
    assert.equal(env0?.VersionLabel, deployed[11]?.label);
    assert.equal(end.versions.size, 10, 'the application keeps 10 versions');
    assert.deepEqual([...end.versions.keys()].sort(), deployed.slice(2).map((d) => d.label).sort(), 'the 10 newest deploys are the versions kept');

    // The bucket holds exactly the bundles of the versions that exist.
    const bundleKeys = [...end.versions.values()].filter((b) => b?.S3Bucket === DEFAULT_BUCKET).map((b) => b?.S3Key as string).sort();
    assert.deepEqual(end.bucket, bundleKeys);
    assert.ok(!Object.keys(end.state.s3.buckets['seed-bundles']?.objects ?? {}).includes('v0.zip'), 'the seed version went with its bundle');

    // The repository holds exactly the images retained versions run: read from their bundles.
    const referenced = new Set<string>();
    for (const key of bundleKeys) {
      const object = end.state.s3.buckets[DEFAULT_BUCKET]?.objects[key];
      const zip = await readFile(path.join(sim.stateDir, 's3', DEFAULT_BUCKET, object?.file as string));
      for (const digest of await bundleImageDigests(zip)) referenced.add(digest);
    }
    assert.deepEqual([...end.images].sort(), [...referenced].sort());
    assert.deepEqual([...referenced].sort(), deployed.slice(2).map((d) => d.digest).sort());

    // Set once by the first deploy, as the manual runbook's "keep the 10 most recent versions".
    const eb = new ElasticBeanstalkClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
    const app = (await eb.send(new DescribeApplicationsCommand({ ApplicationNames: ['sample-site'] }))).Applications?.[0];
    eb.destroy();
    assert.deepEqual(app?.ResourceLifecycleConfig?.VersionLifecycleConfig?.MaxCountRule, { Enabled: true, MaxCount: 10, DeleteSourceFromS3: true });
  } finally {
    await removeSite(site);
  }
});

// Private ECR: the same pruning, and a lifecycle policy for the untagged images each push leaves.
test('on private ECR the deploy sets a lifecycle policy and keeps only the images retained versions run', async () => {
  const ecr = new ECRClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sample-private' }));
  const repository = '123456789012.dkr.ecr.us-east-1.amazonaws.com/sample-private';
  const site = await makeDeploySite(sim, { image: { repository, keepImages: 1 }, beanstalk: { keepVersions: 2 } });
  const dockerrun = path.join(site.dir, 'Dockerrun.aws.json');
  await writeFile(dockerrun, (await readFile(dockerrun, 'utf8')).replace('public.ecr.aws/sim/sample-site', repository));
  const digests: string[] = [];
  const labels: string[] = [];
  try {
    for (let i = 1; i <= 3; i++) {
      await writeFile(path.join(site.dir, 'build-stamp.txt'), `private ${i}\n`);
      const result = await env.client.workflow.execute(deployWorkflow, { taskQueue, workflowId: `deploy-private-${i}-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }] });
      assert.equal(result.outcome, 'deployed');
      digests.push(result.image?.digest as string);
      labels.push(result.versionLabel as string);
    }
    const state = await simState(sim);
    const versions = inRegion(state).eb.versions.filter((v) => v.applicationName === 'sample-site').map((v) => v.versionLabel).sort();
    assert.deepEqual(versions, labels.slice(1).sort(), 'two versions kept: the live one and the rollback target');
    const images = (inRegion(state).ecr.repositories['sample-private']?.images ?? []).map((i) => i.digest).sort();
    // keepImages 1 keeps the newest; the rollback target's image stays because its version does.
    assert.deepEqual(images, digests.slice(1).sort());
    const policy = JSON.parse((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: 'sample-private' }))).lifecyclePolicyText as string) as { rules: { selection: Record<string, unknown> }[] };
    assert.deepEqual(policy.rules[0]?.selection, { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 2 });
  } finally {
    ecr.destroy();
    await removeSite(site);
  }
});

/** One deploy of the site with a new image; the run's status tells its label and digest even when it failed. */
async function deployOnce(configPath: string, siteDir: string, name: string) {
  await writeFile(path.join(siteDir, 'build-stamp.txt'), `${name}\n`);
  const handle = await env.client.workflow.start(deployWorkflow, { taskQueue, workflowId: `deploy-${name}-${Date.now()}`, args: [{ configPath, autoApprove: true }] });
  const error = await handle.result().then(() => undefined, (e: unknown) => e);
  const status = await deployStatus(handle);
  return { error, label: status?.versionLabel as string, digest: status?.image?.digest as string };
}

/** The bundle keys the application's versions name in the deploy bucket. */
function versionBundles(versions: Map<string, { S3Bucket?: string; S3Key?: string } | undefined>): string[] {
  return [...versions.values()].filter((b) => b?.S3Bucket === DEFAULT_BUCKET).map((b) => b?.S3Key as string).sort();
}

// Keep-newest-N alone would delete the version an environment fell back to once enough failed
// deploys came after it: what runs keeps its version, bundle and image, whatever their age.
test('a rollback target older than the kept count keeps its version, bundle and image through failed deploys', async () => {
  const keep = 3;
  const site = await makeDeploySite(sim, { image: { keepImages: keep }, beanstalk: { keepVersions: keep } });
  const control = simControl(sim.controlUrl);
  try {
    const first = await deployOnce(site.configPath, site.dir, 'target');
    assert.equal(first.error, undefined, 'the first deploy succeeds');
    const target = { ...first, key: `sample-site/${first.label}.zip` };
    const failed: { label: string; digest: string }[] = [];
    const targetSurvives = async (after: string) => {
      const now = await world();
      assert.equal((await describeEnv(sim))?.VersionLabel, target.label, `after ${after} the environment runs the rollback target`);
      assert.ok(now.versions.has(target.label), `after ${after} the rollback target's version exists`);
      assert.ok(now.bucket.includes(target.key), `after ${after} the rollback target's bundle is in the bucket`);
      assert.ok(now.images.includes(target.digest), `after ${after} the rollback target's image is in the repository`);
      assert.ok(now.versions.size <= keep, `after ${after} the application holds ${now.versions.size} versions (keep ${keep})`);
      assert.deepEqual(now.bucket, versionBundles(now.versions), `after ${after} the bucket holds only bundles of existing versions`);
    };
    await targetSurvives('the first deploy');

    // Three deploys turned Red, each rolled back to the target: it becomes older than the newest 3.
    for (let i = 1; i <= 3; i++) {
      await control.addFault({ service: 'elasticbeanstalk', operation: 'UpdateEnvironment', nextDeployRed: { environmentName: 'sample-site-prod' }, count: 1 });
      const red = await deployOnce(site.configPath, site.dir, `red-${i}`);
      assert.ok(red.error instanceof WorkflowFailedError && red.error.cause instanceof ApplicationFailure, `red deploy ${i} fails`);
      assert.equal((red.error.cause as ApplicationFailure).type, 'DeployRolledBack');
      failed.push(red);
      await targetSurvives(`red deploy ${i}`);
    }
    const now = await world();
    assert.ok(!now.versions.has((failed[0] as { label: string }).label), 'older failed versions made room; the target did not');

    const last = await deployOnce(site.configPath, site.dir, 'after-reds');
    assert.equal(last.error, undefined, 'the deploy after the failures succeeds');
    const end = await world();
    assert.equal((await describeEnv(sim))?.VersionLabel, last.label);
    // The target was the rollback target of this deploy too, and was live when room was made.
    assert.deepEqual([...end.versions.keys()].sort(), [target.label, (failed[2] as { label: string }).label, last.label].sort());
    assert.deepEqual(end.bucket, versionBundles(end.versions));
    // The newest 3 images, plus the target's, which a retained version runs though it is the 5th newest.
    const expectedImages = [last.digest, ...failed.slice(1).map((f) => f.digest), target.digest];
    assert.deepEqual([...end.images].sort(), expectedImages.sort());
    assert.ok(end.images.length <= keep + 1, `${end.images.length} images: the kept ${keep} and the rollback target's`);
  } finally {
    await control.clearFaults();
    await removeSite(site);
  }
});

// Beanstalk refusing the version after the upload (quota full, bad bundle) must not leave the
// bundle in the bucket until some later deploy succeeds.
test('a bundle whose application version is refused is deleted from the bucket', async () => {
  const site = await makeDeploySite(sim);
  const control = simControl(sim.controlUrl);
  const before = await world();
  const liveBefore = (await describeEnv(sim))?.VersionLabel;
  const fault = await control.addFault({ service: 'elasticbeanstalk', operation: 'CreateApplicationVersion', errorCode: 'TooManyApplicationVersionsException', message: 'You cannot have more than 1000 Application Versions.', count: 1 });
  try {
    const refused = await deployOnce(site.configPath, site.dir, 'refused');
    assert.ok(refused.error instanceof WorkflowFailedError, 'the deploy fails');
    assert.match(String((refused.error.cause?.cause as Error | undefined)?.message), /quota is full/);
    assert.equal((await control.faults()).find((f) => f.id === fault.id)?.fired, 1, 'Beanstalk was asked for the version, after the upload');
    const after = await world();
    assert.ok(refused.label, 'the deploy chose a label');
    assert.ok(!after.versions.has(refused.label), 'no version was created');
    assert.ok(!after.bucket.includes(`sample-site/${refused.label}.zip`), 'the refused version\'s bundle is gone');
    assert.deepEqual(after.bucket, before.bucket, 'the bucket holds what it held before the deploy');
    assert.equal((await describeEnv(sim))?.VersionLabel, liveBefore, 'the environment still runs what it ran');
  } finally {
    await control.clearFaults();
    await removeSite(site);
  }
});
