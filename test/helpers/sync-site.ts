import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateFileSystemCommand, EFSClient } from '@aws-sdk/client-efs';
import { CreateServerCommand, TransferClient } from '@aws-sdk/client-transfer';
import { simControl, startSim, type RunningSim } from '../../sim/index.js';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { makeSampleSite, type SampleSite } from './sample-site.js';
import { startDevServer } from './temporal-env.js';
import type { WorkerProcess } from './worker-process.js';

export const FS_NAME = 'sample-site-fs';

export interface SyncFixture {
  sim: RunningSim;
  control: ReturnType<typeof simControl>;
  fileSystemId: string;
  /** The EFS dir on disk the sync mirrors into (`/<fs>/data`). */
  remoteDir: string;
  close(): Promise<void>;
}

/** A sim with fast Transfer timings and one EFS file system named FS_NAME. */
export async function startSyncSim(opts: { transferStartSeconds?: number } = {}): Promise<SyncFixture> {
  const sim = await startSim({ transferStartSeconds: opts.transferStartSeconds ?? 0.5, beanstalkUpdateSeconds: 0.3 });
  const efs = new EFSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  const created = await efs.send(new CreateFileSystemCommand({ CreationToken: 'sync-test', Tags: [{ Key: 'Name', Value: FS_NAME }] }));
  efs.destroy();
  const fileSystemId = created.FileSystemId as string;
  return {
    sim,
    control: simControl(sim.controlUrl),
    fileSystemId,
    remoteDir: path.join(sim.efsDir(fileSystemId), 'data'),
    close: () => sim.close(),
  };
}

/** A server made `hoursAgo` by a sync Temporal never heard of: the janitor's to delete. Answers its id. */
export async function createOrphanedServer(fx: SyncFixture, hoursAgo: number): Promise<string> {
  const transfer = new TransferClient({ endpoint: fx.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  try {
    const { ServerId } = await transfer.send(new CreateServerCommand({
      Domain: 'EFS',
      Protocols: ['SFTP'],
      Tags: [
        { Key: 'runbook:workflowId', Value: 'sync-sample-site-lost' },
        { Key: 'runbook:runId', Value: '00000000-0000-0000-0000-000000000000' },
        { Key: 'runbook:site', Value: 'sample-site' },
        { Key: 'runbook:createdBy', Value: 'release-runbook' },
        { Key: 'runbook:createdAt', Value: new Date(Date.now() - hoursAgo * 3_600_000).toISOString() },
      ],
    }));
    return ServerId as string;
  } finally {
    transfer.destroy();
  }
}

export interface SyncSuite {
  env: TestWorkflowEnvironment;
  fx: SyncFixture;
  stop(): Promise<void>;
}

/**
 * What every sync test file runs against: a dev server and startSyncSim's sim, started together.
 * Its workers come per test; worker processes a file pushes onto `workers` are stopped first.
 */
export async function startSyncSuite(opts: { workers?: WorkerProcess[] } = {}): Promise<SyncSuite> {
  const [env, fx] = await Promise.all([startDevServer(), startSyncSim()]);
  return {
    env,
    fx,
    stop: async () => {
      await Promise.all((opts.workers ?? []).map((w) => w.stop().catch(() => undefined)));
      await fx.close();
      await env.teardown();
    },
  };
}

export interface SyncSite extends SampleSite {
  dataDir: string;
}

/** The sample site with aws/data/transfer sections pointing at the sim, tuned for fast tests. */
export async function makeSyncSite(fx: SyncFixture, opts: {
  transfer?: Record<string, unknown>;
  data?: Record<string, unknown>;
  edit?: (config: SampleSite['config']) => void;
} = {}): Promise<SyncSite> {
  const site = await makeSampleSite({
    edit: (config) => {
      config.aws = { region: 'us-east-1', endpoint: fx.sim.endpoint, sftpEndpoint: `${fx.sim.sftpHost}:${fx.sim.sftpPort}` };
      config.data = { localDir: 'data/site', remoteDir: '/data', deleteExtraneous: true, parallelism: 3, verify: 'all', ...opts.data };
      config.transfer = {
        efsFileSystem: FS_NAME,
        userRole: 'transfer-efs-access',
        posixUid: 1000,
        posixGid: 1000,
        pollSeconds: 0.2,
        heartbeatTimeoutSeconds: 5,
        retryInitialSeconds: 0.5,
        maxAttempts: 6,
        onlineTimeoutMinutes: 1,
        ...opts.transfer,
      };
      opts.edit?.(config);
    },
  });
  const dataDir = path.join(site.dir, 'data', 'site');
  await mkdir(dataDir, { recursive: true });
  return { ...site, dataDir };
}

/** Writes files (relative path → content or byte count of random data). */
export async function writeTree(root: string, files: Record<string, string | number>): Promise<void> {
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof content === 'number' ? randomBytes(content) : content);
  }
}

/** relative path → sha256 of every file under root (dirs listed as "dir/"). */
export async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string, rel: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        out[`${relPath}/`] = 'dir';
        await walk(path.join(dir, entry.name), relPath);
      } else {
        out[relPath] = createHash('sha256').update(await readFile(path.join(dir, entry.name))).digest('hex');
      }
    }
  }
  await walk(root, '');
  return out;
}

export async function mtimeSeconds(file: string): Promise<number> {
  return Math.floor((await stat(file)).mtimeMs / 1000);
}

export async function removeSite(site: SampleSite): Promise<void> {
  await rm(site.dir, { recursive: true, force: true });
}
