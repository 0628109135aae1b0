import path from 'node:path';
import { CreateApplicationCommand, CreateApplicationVersionCommand, CreateEnvironmentCommand, ElasticBeanstalkClient, DescribeEnvironmentsCommand, DescribeApplicationVersionsCommand } from '@aws-sdk/client-elastic-beanstalk';
import { CreateRepositoryCommand, ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { CreateBucketCommand, PutObjectCommand, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import yazl from 'yazl';
import { startSim, simControl, type RunningSim } from '../../sim/index.js';
import type { SimState } from '../../sim/control-client.js';
import { makeSampleSite, repoRoot, type SampleSite } from './sample-site.js';
import { startDevServer, startPollingWorker } from './temporal-env.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { waitFor } from './worker-process.js';

export const dockerDouble = path.join(repoRoot, 'sim', 'docker-double', 'docker');
export const DEFAULT_BUCKET = 'elasticbeanstalk-us-east-1-123456789012';
export const SEED_VERSION = 'sample-site-v0';

/** A sim with short Beanstalk delays, so a whole deploy takes a few seconds. */
export function startDeploySim(opts: { beanstalkUpdateSeconds?: number } = {}): Promise<RunningSim> {
  return startSim({ beanstalkUpdateSeconds: opts.beanstalkUpdateSeconds ?? 0.5, versionProcessSeconds: 0.2, transferStartSeconds: 0.2 });
}

function clients(sim: RunningSim, region = 'us-east-1') {
  const common = { endpoint: sim.endpoint, region, credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } };
  return {
    eb: new ElasticBeanstalkClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    // ECR Public's API lives in us-east-1 whatever the site's region.
    ecrPublic: new ECRPUBLICClient({ ...common, region: 'us-east-1' }),
  };
}

/**
 * What a site has before its next deploy: the ECR Public repository, the application and an
 * environment running an earlier version (whose bundle sits in a separate seed bucket, so the
 * deploy bucket starts empty).
 */
export async function seedSite(sim: RunningSim, opts: { environment?: string | null; region?: string } = {}): Promise<void> {
  const region = opts.region ?? 'us-east-1';
  const { eb, s3, ecrPublic } = clients(sim, region);
  await ecrPublic.send(new CreateRepositoryCommand({ repositoryName: 'sample-site' }));
  await eb.send(new CreateApplicationCommand({ ApplicationName: 'sample-site' }));
  if (opts.environment === null) return;
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(JSON.stringify({ AWSEBDockerrunVersion: '1', Image: { Name: `public.ecr.aws/sim/sample-site@sha256:${'1'.repeat(64)}` } })), 'Dockerrun.aws.json');
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  await s3.send(new CreateBucketCommand({ Bucket: 'seed-bundles', ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }) }));
  await s3.send(new PutObjectCommand({ Bucket: 'seed-bundles', Key: 'v0.zip', Body: Buffer.concat(chunks) }));
  await eb.send(new CreateApplicationVersionCommand({ ApplicationName: 'sample-site', VersionLabel: SEED_VERSION, SourceBundle: { S3Bucket: 'seed-bundles', S3Key: 'v0.zip' }, Process: true }));
  await waitFor('seed version processed', async () => {
    const out = await eb.send(new DescribeApplicationVersionsCommand({ ApplicationName: 'sample-site', VersionLabels: [SEED_VERSION] }));
    return out.ApplicationVersions?.[0]?.Status === 'Processed';
  }, 10_000, 100);
  const environment = opts.environment ?? 'sample-site-prod';
  await eb.send(new CreateEnvironmentCommand({ ApplicationName: 'sample-site', EnvironmentName: environment, VersionLabel: SEED_VERSION, SolutionStackName: '64bit Amazon Linux 2023 v4.3.0 running Docker' }));
  await waitFor('seed environment Ready', async () => (await describeEnv(sim, environment, region))?.Status === 'Ready', 10_000, 100);
}

export async function describeEnv(sim: RunningSim, name = 'sample-site-prod', region = 'us-east-1') {
  const out = await clients(sim, region).eb.send(new DescribeEnvironmentsCommand({ EnvironmentNames: [name], IncludeDeleted: false }));
  return out.Environments?.[0];
}

/** The sample site wired to the sim and the docker double, with test-sized timings. */
export function makeDeploySite(
  sim: RunningSim,
  opts: { image?: Record<string, unknown>; beanstalk?: Record<string, unknown>; edit?: (config: SampleSite['config']) => void } = {},
): Promise<SampleSite> {
  return makeSampleSite({
    edit: (config) => {
      config.aws = { region: 'us-east-1', endpoint: sim.endpoint };
      config.image = {
        ...(config.image as Record<string, unknown>),
        dockerPath: dockerDouble,
        pushTimeoutMinutes: 0.5,
        pushAttempts: 2,
        retryInitialSeconds: 0.5,
        ...opts.image,
      };
      config.beanstalk = {
        ...(config.beanstalk as Record<string, unknown>),
        pollSeconds: 0.25,
        healthGraceSeconds: 0,
        smokeTimeoutSeconds: 5,
        timeoutMinutes: 2,
        approvalTimeoutHours: 1,
        ...opts.beanstalk,
      };
      opts.edit?.(config);
    },
  });
}

export function simState(sim: RunningSim): Promise<SimState> {
  return simControl(sim.controlUrl).state();
}

/** Objects in a sim bucket (none when the bucket does not even exist). */
export async function bucketKeys(sim: RunningSim, bucket = DEFAULT_BUCKET): Promise<string[]> {
  return Object.keys((await simState(sim)).s3.buckets[bucket]?.objects ?? {});
}

export interface DeploySuite {
  env: TestWorkflowEnvironment;
  sim: RunningSim;
  stop(): Promise<void>;
}

/** What every deploy test file runs against: a dev server, a seeded sim (startDeploySim's unless given), one polling worker. */
export async function startDeploySuite(taskQueue: string, opts: { sim?: () => Promise<RunningSim> } = {}): Promise<DeploySuite> {
  const [env, sim] = await Promise.all([startDevServer(), (opts.sim ?? startDeploySim)()]);
  await seedSite(sim);
  const polling = await startPollingWorker(env, taskQueue);
  return {
    env,
    sim,
    stop: async () => {
      await polling.stop();
      await env.teardown();
      await sim.close();
    },
  };
}
