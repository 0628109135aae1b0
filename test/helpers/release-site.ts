import { CreateFileSystemCommand, EFSClient } from '@aws-sdk/client-efs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunbookWorker } from '../../worker/create-worker.js';
import { simControl, startSim, type ResponseObserver, type RunningSim } from '../../sim/index.js';
import { dockerDouble, seedSite } from './deploy-env.js';
import { makeSampleSite, type SampleSite } from './sample-site.js';
import { FS_NAME } from './sync-site.js';
import { startDevServer, startPollingWorker } from './temporal-env.js';

export interface ReleaseFixture {
  sim: RunningSim;
  /** The site's region (its config's aws.region); ECR Public stays in us-east-1. */
  region?: string;
  control: ReturnType<typeof simControl>;
  fileSystemId: string;
  close(): Promise<void>;
}

/** A sim holding what a site has before a release: its EFS, ECR Public repo, app and environment. */
export async function startReleaseSim(opts: { region?: string; observer?: ResponseObserver } = {}): Promise<ReleaseFixture> {
  const region = opts.region ?? 'us-east-1';
  const sim = await startSim({ transferStartSeconds: 0.3, beanstalkUpdateSeconds: 0.5, versionProcessSeconds: 0.2, ...(opts.observer ? { observer: opts.observer } : {}) });
  const efs = new EFSClient({ endpoint: sim.endpoint, region, credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  const created = await efs.send(new CreateFileSystemCommand({ CreationToken: 'release-test', Tags: [{ Key: 'Name', Value: FS_NAME }] }));
  efs.destroy();
  await seedSite(sim, { region });
  return { sim, region, control: simControl(sim.controlUrl), fileSystemId: created.FileSystemId as string, close: () => sim.close() };
}

/** The sample site with every section pointing at the sim and test-sized timings. */
export function makeReleaseSite(fx: ReleaseFixture, opts: { units?: number; unitMs?: number; edit?: (config: SampleSite['config']) => void } = {}): Promise<SampleSite> {
  return makeSampleSite({
    units: opts.units ?? 3,
    unitMs: opts.unitMs ?? 30,
    edit: (config) => {
      config.aws = { region: fx.region ?? 'us-east-1', endpoint: fx.sim.endpoint, sftpEndpoint: `${fx.sim.sftpHost}:${fx.sim.sftpPort}` };
      config.data = { localDir: 'data', remoteDir: '/data', deleteExtraneous: true, parallelism: 3, verify: 'all' };
      config.transfer = {
        efsFileSystem: FS_NAME,
        userRole: 'transfer-efs-access',
        posixUid: 1000,
        posixGid: 1000,
        pollSeconds: 0.2,
        heartbeatTimeoutSeconds: 5,
        retryInitialSeconds: 0.5,
      };
      config.image = { ...(config.image as Record<string, unknown>), dockerPath: dockerDouble, pushTimeoutMinutes: 0.5, retryInitialSeconds: 0.5 };
      config.beanstalk = {
        ...(config.beanstalk as Record<string, unknown>),
        pollSeconds: 0.25,
        healthGraceSeconds: 0,
        smokeTimeoutSeconds: 5,
        timeoutMinutes: 2,
        approvalTimeoutHours: 1,
      };
      opts.edit?.(config);
    },
  });
}

export interface ReleaseSuite {
  env: TestWorkflowEnvironment;
  fx: ReleaseFixture;
  worker: RunbookWorker;
  stop(): Promise<void>;
}

/** What every release test file runs against: a dev server, the seeded sim, one polling worker. */
export async function startReleaseSuite(taskQueue: string, opts: { region?: string } = {}): Promise<ReleaseSuite> {
  const env = await startDevServer();
  const fx = await startReleaseSim(opts);
  const polling = await startPollingWorker(env, taskQueue);
  return {
    env,
    fx,
    worker: polling.worker,
    stop: async () => {
      await polling.stop();
      await fx.close();
      await env.teardown();
    },
  };
}
