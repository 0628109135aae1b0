import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeEnvironmentsCommand, ElasticBeanstalkClient, type EnvironmentDescription } from '@aws-sdk/client-elastic-beanstalk';
import { CreateBucketCommand, GetObjectCommand, paginateListObjectsV2, S3Client, type BucketLocationConstraint } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ResolvedConfig } from '../../config/load.js';
import type { RunningSim } from '../../sim/index.js';
import type { DemoOptions } from './demo-site.js';

// What the two Python-platform examples (cellxgene, TrendFinder) share in the demo: their config
// pointed at the sim, their AWS clients, and the world checks a release of either ends with.

export const examplesDir = fileURLToPath(new URL('../../examples/', import.meta.url));

export function simClients(sim: RunningSim, region: string) {
  const common = { endpoint: sim.endpoint, region, credentials: { accessKeyId: 'AKIALOCALSIM', secretAccessKey: 'local-sim' } };
  return {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    eb: new ElasticBeanstalkClient(common),
    sm: new SecretsManagerClient(common),
    destroy(): void {
      this.s3.destroy();
      this.eb.destroy();
      this.sm.destroy();
    },
  };
}

export async function createBucketIn(s3: S3Client, bucket: string, region: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }) }));
}

/** What every seed starts with: clients in the example's region, and its data bucket created there. */
export async function seedDataBucket(sim: RunningSim, example: string, bucket: string): Promise<{ region: string; clients: ReturnType<typeof simClients> }> {
  const region = await exampleRegion(example);
  const clients = simClients(sim, region);
  try {
    await createBucketIn(clients.s3, bucket, region);
  } catch (err) {
    clients.destroy();
    throw err;
  }
  return { region, clients };
}

/** The example's region, from its real config: the demo's account lives there too. */
export async function exampleRegion(example: string): Promise<string> {
  const raw = JSON.parse(await readFile(path.join(examplesDir, example, 'runbook.config.json'), 'utf8')) as { aws: { region: string } };
  return raw.aws.region;
}

/**
 * The example's real config pointed at the sim, with demo-sized timings. The app's files stay in
 * examples/ (the bundle is read from there); the compiled data and the state live in the demo dir.
 */
export async function writeExampleConfig(example: string, sim: RunningSim, demoDir: string, opts: DemoOptions): Promise<string> {
  const config = JSON.parse(await readFile(path.join(examplesDir, example, 'runbook.config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  const dir = path.join(demoDir, example);
  const dataDir = path.join(dir, 'data');
  const data = config.data as { target: Record<string, unknown> } & Record<string, unknown>;
  const demo = {
    ...config,
    siteDir: opts.siteDir ?? path.join(examplesDir, example),
    stateDir: path.join(dir, 'state'),
    aws: { ...config.aws, endpoint: sim.endpoint },
    compile: { ...config.compile, outputDir: dataDir, heartbeatTimeoutSeconds: 30, retryInitialSeconds: 2 },
    data: { ...data, localDir: dataDir, target: { ...data.target, heartbeatTimeoutSeconds: 10, retryInitialSeconds: 1 } },
    beanstalk: { ...config.beanstalk, pollSeconds: opts.unitMs < 500 ? 0.25 : 1, healthGraceSeconds: opts.unitMs < 500 ? 0 : 2, timeoutMinutes: 5, smokeTimeoutSeconds: 10 },
    ...(opts.notify ? { notify: opts.notify } : {}),
  };
  const file = path.join(dir, 'runbook.config.json');
  await mkdir(dir, { recursive: true });
  await writeFile(file, `${JSON.stringify(demo, null, 2)}\n`);
  return file;
}

async function localFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await localFiles(root, child)));
    else if (entry.isFile()) out.push(child);
  }
  return out.sort();
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * Every file of the local data dir is in the bucket under the prefix with the same bytes (read
 * back with GetObject); with `exact`, the prefix holds nothing else either. Throws naming the first difference.
 */
export async function checkBucketMatches(sim: RunningSim, config: ResolvedConfig, exact: boolean): Promise<string> {
  const target = config.data?.target;
  if (!config.data || target?.kind !== 's3' || !config.aws) throw new Error(`${config.configPath} has no S3 data target`);
  const clients = simClients(sim, config.aws.region);
  try {
    const local = await localFiles(config.data.localDir);
    const remote = new Map<string, string>();
    for await (const page of paginateListObjectsV2({ client: clients.s3 }, { Bucket: target.bucket, Prefix: `${target.prefix}/` })) {
      for (const o of page.Contents ?? []) {
        const got = await clients.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: o.Key }));
        remote.set((o.Key ?? '').slice(target.prefix.length + 1), sha256(await got.Body?.transformToByteArray() ?? new Uint8Array()));
      }
    }
    for (const file of local) {
      const want = sha256(await readFile(path.join(config.data.localDir, file)));
      if (remote.get(file) !== want) throw new Error(`s3://${target.bucket}/${target.prefix}/${file} ${remote.has(file) ? 'differs from' : 'is missing, unlike'} ${path.join(config.data.localDir, file)}`);
    }
    const extra = [...remote.keys()].filter((k) => !local.includes(k));
    if (exact && extra.length) throw new Error(`s3://${target.bucket}/${target.prefix}/ holds ${extra.length} objects the local tree lacks, such as ${extra[0] ?? ''}`);
    return `s3://${target.bucket}/${target.prefix}/: ${local.length} files byte-identical to the local tree (read back with GetObject)${extra.length ? `, plus ${extra.length} from earlier runs` : ''}`;
  } finally {
    clients.destroy();
  }
}

/** The environment as Beanstalk describes it, and its page (smokePath) as the sim serves it. */
export async function servedEnvironment(sim: RunningSim, config: ResolvedConfig): Promise<{ env: EnvironmentDescription; status: number; page: Record<string, unknown> }> {
  const { beanstalk, aws } = config;
  if (!beanstalk || !aws) throw new Error(`${config.configPath} has no beanstalk section`);
  const clients = simClients(sim, aws.region);
  try {
    const out = await clients.eb.send(new DescribeEnvironmentsCommand({ ApplicationName: beanstalk.application, EnvironmentNames: [beanstalk.environment], IncludeDeleted: false }));
    const env = out.Environments?.[0];
    if (!env?.EndpointURL) throw new Error(`environment ${beanstalk.environment} does not exist`);
    const res = await fetch(`http://${env.EndpointURL}${beanstalk.smokePath}`);
    return { env, status: res.status, page: (await res.json()) as Record<string, unknown> };
  } finally {
    clients.destroy();
  }
}

