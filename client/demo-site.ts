import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateRepositoryCommand, ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { CreateFileSystemCommand, EFSClient } from '@aws-sdk/client-efs';
import type { RunningSim } from '../sim/index.js';

export const sampleSiteDir = fileURLToPath(new URL('../examples/sample-site/', import.meta.url));
const dockerDouble = fileURLToPath(new URL('../sim/docker-double/docker', import.meta.url));

/**
 * The sample site's config pointed at the local sim, with demo-sized timings: the real config
 * stays untouched, the demo writes its own copy next to its state.
 */
export async function writeDemoConfig(sim: RunningSim, demoDir: string, opts: { units: number; unitMs: number; notify?: Record<string, unknown> }): Promise<string> {
  const config = JSON.parse(await readFile(path.join(sampleSiteDir, 'runbook.config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  const sampleEnv = { SAMPLE_UNITS: String(opts.units), SAMPLE_UNIT_MS: String(opts.unitMs) };
  const compile = config.compile as { steps: { env?: Record<string, string> }[] } & Record<string, unknown>;
  for (const step of compile.steps) step.env = { ...step.env, ...sampleEnv };
  const demo = {
    ...config,
    siteDir: sampleSiteDir,
    stateDir: path.join(demoDir, 'state'),
    aws: { region: 'us-east-1', endpoint: sim.endpoint, sftpEndpoint: `${sim.sftpHost}:${sim.sftpPort}` },
    compile: { ...compile, heartbeatTimeoutSeconds: 30, retryInitialSeconds: 2 },
    transfer: { ...config.transfer, pollSeconds: 0.5, retryInitialSeconds: 1 },
    image: { ...config.image, dockerPath: dockerDouble, retryInitialSeconds: 2 },
    beanstalk: { ...config.beanstalk, pollSeconds: 1, healthGraceSeconds: 2, timeoutMinutes: 5 },
    ...(opts.notify ? { notify: opts.notify } : {}),
  };
  const file = path.join(demoDir, 'runbook.config.json');
  await mkdir(demoDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(demo, null, 2)}\n`);
  return file;
}

/** What the site's AWS account has before its first release: the EFS file system and the image repository. */
export async function seedDemoAccount(sim: RunningSim): Promise<void> {
  const common = { endpoint: sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIALOCALSIM', secretAccessKey: 'local-sim' } };
  const efs = new EFSClient(common);
  const ecr = new ECRPUBLICClient(common);
  try {
    await efs.send(new CreateFileSystemCommand({ CreationToken: 'sample-site-fs', Tags: [{ Key: 'Name', Value: 'sample-site-fs' }] }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'sample-site' }));
  } finally {
    efs.destroy();
    ecr.destroy();
  }
}
