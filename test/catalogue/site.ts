import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CreateFileSystemCommand, EFSClient } from '@aws-sdk/client-efs';
import { inRegion, simControl, startSim, type RunningSim } from '../../sim/index.js';
import { bucketKeys, dockerDouble, seedSite, SEED_VERSION, simState } from '../helpers/deploy-env.js';
import { makeSampleSite, type SampleSite } from '../helpers/sample-site.js';
import { FS_NAME, writeTree } from '../helpers/sync-site.js';

export interface CatalogueSim {
  sim: RunningSim;
  control: ReturnType<typeof simControl>;
  fileSystemId: string;
}

/** A sim holding what a site has before a release: its EFS, ECR Public repo, app and environment. */
export async function startCatalogueSim(): Promise<CatalogueSim> {
  const sim = await startSim({ transferStartSeconds: 0.3, beanstalkUpdateSeconds: 0.3, versionProcessSeconds: 0.1 });
  const efs = new EFSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  const created = await efs.send(new CreateFileSystemCommand({ CreationToken: 'catalogue', Tags: [{ Key: 'Name', Value: FS_NAME }] }));
  efs.destroy();
  await seedSite(sim);
  return { sim, control: simControl(sim.controlUrl), fileSystemId: created.FileSystemId as string };
}

export type SiteConfig = SampleSite['config'];

export interface CatalogueSite extends SampleSite {
  /** `data/site`, the data dir the sync uploads; it holds two small files. */
  dataDir: string;
}

/** The sample site with every section pointing at the sim, and a small data dir ready to sync. */
export async function makeCatalogueSite(fx: CatalogueSim, edit?: (config: SiteConfig) => void): Promise<CatalogueSite> {
  const site = await makeSampleSite({
    edit: (config) => {
      config.aws = { region: 'us-east-1', endpoint: fx.sim.endpoint, sftpEndpoint: `${fx.sim.sftpHost}:${fx.sim.sftpPort}` };
      config.data = { localDir: 'data/site', remoteDir: '/data', deleteExtraneous: true, parallelism: 2, verify: 'all' };
      config.transfer = { efsFileSystem: FS_NAME, userRole: 'transfer-efs-access', posixUid: 1000, posixGid: 1000, pollSeconds: 0.2, heartbeatTimeoutSeconds: 5, retryInitialSeconds: 0.5 };
      config.image = { ...(config.image as Record<string, unknown>), dockerPath: dockerDouble, pushTimeoutMinutes: 0.5, retryInitialSeconds: 0.5 };
      config.beanstalk = { ...(config.beanstalk as Record<string, unknown>), pollSeconds: 0.25, healthGraceSeconds: 0, smokeTimeoutSeconds: 5, timeoutMinutes: 2, approvalTimeoutHours: 1 };
      edit?.(config);
    },
  });
  const dataDir = path.join(site.dir, 'data', 'site');
  await mkdir(dataDir, { recursive: true });
  await writeTree(dataDir, { 'expression.bin': 2048, 'figures/circos.pkl': 512 });
  return { ...site, dataDir };
}

/**
 * What exists on the sim that a release pays for or publishes: Transfer servers ever created,
 * source bundles in S3, images built or pushed, application versions beyond the seed.
 * "nothing" when the sim is as seeded.
 */
export async function provisioned(fx: CatalogueSim): Promise<string> {
  const [ledger, state, bundles] = await Promise.all([fx.control.ledger(), simState(fx.sim), bucketKeys(fx.sim)]);
  const found: string[] = [];
  if (ledger.servers.length > 0) found.push(`${ledger.servers.length} Transfer server(s), ${ledger.alive} alive`);
  if (bundles.length > 0) found.push(`${bundles.length} S3 object(s)`);
  if (state.docker.images.length > 0) found.push(`${state.docker.images.length} docker image(s)`);
  const pushed = Object.values(state.ecrPublic.repositories).reduce((n, r) => n + r.images.length, 0);
  if (pushed > 0) found.push(`${pushed} pushed image(s)`);
  const versions = inRegion(state).eb.versions.filter((v) => v.versionLabel !== SEED_VERSION).length;
  if (versions > 0) found.push(`${versions} application version(s)`);
  return found.length ? found.join(', ') : 'nothing';
}
