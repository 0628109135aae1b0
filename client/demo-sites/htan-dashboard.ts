import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateBucketCommand, DeletePublicAccessBlockCommand, GetObjectCommand, paginateListObjectsV2, PutBucketPolicyCommand, PutBucketWebsiteCommand, S3Client,
} from '@aws-sdk/client-s3';
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { RunningSim } from '../../sim/index.js';
import { fetchPage } from '../../activities/website/fetch-page.js';
import { websiteHost } from '../../config/website-endpoint.js';
import type { DemoOptions, DemoSite } from './demo-site.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const htanExampleDir = path.join(repoRoot, 'examples', 'htan-dashboard');
const dockerDouble = path.join(repoRoot, 'sim', 'docker-double', 'docker');
const REGION = 'us-east-1';
export const HTAN_BUCKET = 'htan-dashboard-site';
export const HTAN_REPOSITORY = 'htan-pipeline';
export const HTAN_SECRET = 'htan/synapse-auth-token';

const clientOptions = (sim: RunningSim) => ({ endpoint: sim.endpoint, region: REGION, credentials: { accessKeyId: 'AKIALOCALSIM', secretAccessKey: 'local-sim' } });

/**
 * What the HTAN account holds before the runbook's first release, as the manual setup left it:
 * the website bucket (website hosting on, Block Public Access lifted, a public-read policy),
 * the private ECR repository of the pipeline image, and the data portal's token.
 */
export async function seedHtanAccount(sim: RunningSim, opts: { token?: string; website?: boolean } = {}): Promise<void> {
  const s3 = new S3Client({ ...clientOptions(sim), forcePathStyle: true });
  const ecr = new ECRClient(clientOptions(sim));
  const sm = new SecretsManagerClient(clientOptions(sim));
  try {
    await s3.send(new CreateBucketCommand({ Bucket: HTAN_BUCKET }));
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: HTAN_BUCKET }));
    if (opts.website !== false) {
      await s3.send(new PutBucketWebsiteCommand({ Bucket: HTAN_BUCKET, WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: 'dashboard/error.html' } } }));
    }
    await s3.send(new PutBucketPolicyCommand({
      Bucket: HTAN_BUCKET,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'PublicReadForWebsite', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${HTAN_BUCKET}/*` }] }),
    }));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: HTAN_REPOSITORY }));
    await sm.send(new CreateSecretCommand({ Name: HTAN_SECRET, SecretString: opts.token ?? 'demo-synapse-token' }));
  } finally {
    s3.destroy();
    ecr.destroy();
    sm.destroy();
  }
}

/**
 * A copy of the example (the pipeline writes into its site dir) with the config pointed at the
 * sim: its API endpoint, its website endpoint, the docker double; the token by secret name.
 */
export async function writeHtanConfig(sim: RunningSim, demoDir: string, opts: Partial<DemoOptions> = {}): Promise<string> {
  const siteDir = path.join(demoDir, 'site');
  await mkdir(demoDir, { recursive: true });
  await cp(htanExampleDir, siteDir, { recursive: true, filter: (src) => !/[/\\](data|\.runbook|node_modules)$/.test(src) });
  // The pipeline imports apache-arrow and runs through tsx, from the repo's node_modules.
  await symlink(path.join(repoRoot, 'node_modules'), path.join(siteDir, 'node_modules')).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const config = JSON.parse(await readFile(path.join(htanExampleDir, 'runbook.config.json'), 'utf8')) as Record<string, Record<string, unknown>>;
  const compile = config.compile as { steps: { env?: Record<string, unknown> }[] } & Record<string, unknown>;
  for (const step of compile.steps) step.env = { ...step.env, SYNAPSE_AUTH_TOKEN: { secret: HTAN_SECRET } };
  const data = config.data as { target: Record<string, unknown> } & Record<string, unknown>;
  const demo = {
    ...config,
    siteDir,
    stateDir: path.join(demoDir, 'state'),
    aws: { region: REGION, endpoint: sim.endpoint, websiteEndpoint: sim.websiteEndpoint },
    compile: { ...compile, heartbeatTimeoutSeconds: 30, retryInitialSeconds: 2 },
    data: { ...data, target: { ...data.target, heartbeatTimeoutSeconds: 10, retryInitialSeconds: 0.5 } },
    website: { ...config.website, smokeTimeoutSeconds: 10 },
    image: { ...config.image, dockerPath: dockerDouble, retryInitialSeconds: 1, pushTimeoutMinutes: 1 },
    ...(opts.notify ? { notify: opts.notify } : {}),
  };
  const file = path.join(demoDir, 'runbook.config.json');
  await writeFile(file, `${JSON.stringify(demo, null, 2)}\n`);
  return file;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function localTree(dir: string, base = dir): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, await localTree(full, base));
    else out[path.relative(base, full).split(path.sep).join('/')] = sha256(await readFile(full));
  }
  return out;
}

/** What the release left in the world, read back from the sim: the bucket, the served page, the image. */
export interface HtanWorld {
  local: Record<string, string>;
  bucket: Record<string, string>;
  page: { status: number; bytes: Buffer; contentType: string | null };
  localPage: Buffer;
  imageDigests: string[];
}

export async function readHtanWorld(sim: RunningSim, configPath: string): Promise<HtanWorld> {
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { siteDir: string; data: { localDir: string; target: { prefix: string } }; website: { smokePath: string } };
  const localDir = path.resolve(config.siteDir, config.data.localDir);
  const prefix = config.data.target.prefix;
  const s3 = new S3Client({ ...clientOptions(sim), forcePathStyle: true });
  const ecr = new ECRClient(clientOptions(sim));
  try {
    const bucket: Record<string, string> = {};
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: HTAN_BUCKET, Prefix: `${prefix}/` })) {
      for (const o of page.Contents ?? []) {
        const got = await s3.send(new GetObjectCommand({ Bucket: HTAN_BUCKET, Key: o.Key }));
        bucket[(o.Key ?? '').slice(prefix.length + 1)] = sha256((await got.Body?.transformToByteArray()) ?? new Uint8Array());
      }
    }
    const served = await fetchPage(`http://${websiteHost(HTAN_BUCKET, REGION)}${config.website.smokePath}`, { connectTo: sim.websiteEndpoint, timeoutMs: 10_000 });
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: HTAN_REPOSITORY }));
    return {
      local: await localTree(localDir),
      bucket,
      page: { status: served.status, bytes: served.body, contentType: served.contentType },
      localPage: await readFile(path.join(localDir, config.website.smokePath.slice(`/${prefix}/`.length))),
      imageDigests: (images.imageDetails ?? []).map((d) => d.imageDigest ?? ''),
    };
  } finally {
    s3.destroy();
    ecr.destroy();
  }
}

export const htanDashboard: DemoSite = {
  name: 'htan-dashboard',
  summary: 'HTAN dashboard: the pipeline writes static pages, synced to an S3 website bucket and checked at its website endpoint; the pipeline image goes to private ECR (no Beanstalk)',
  seed: (sim) => seedHtanAccount(sim),
  writeConfig: (sim, demoDir, opts) => writeHtanConfig(sim, demoDir, opts),
  // `{}` is the whole release of a website site: compile → sync → website → image.
  releaseInput: {},
  async verify(sim, configPath) {
    const world = await readHtanWorld(sim, configPath);
    const differs = Object.keys({ ...world.local, ...world.bucket }).filter((k) => world.local[k] !== world.bucket[k]);
    if (differs.length > 0) throw new Error(`s3://${HTAN_BUCKET}/dashboard/ differs from the local pages: ${differs.join(', ')}`);
    if (world.page.status !== 200 || !world.page.bytes.equals(world.localPage)) {
      throw new Error(`the website endpoint served HTTP ${world.page.status} (${world.page.bytes.length} bytes), not the local page (${world.localPage.length} bytes)`);
    }
    if (world.imageDigests.length === 0) throw new Error(`private ECR repository ${HTAN_REPOSITORY} holds no image`);
    return [
      `s3://${HTAN_BUCKET}/dashboard/: ${Object.keys(world.bucket).length} objects, byte-identical to the local pages`,
      `http://${websiteHost(HTAN_BUCKET, REGION)}/dashboard/index.html: HTTP 200, ${world.page.bytes.length} bytes (${world.page.contentType ?? '?'}), as built`,
      `123456789012.dkr.ecr.${REGION}.amazonaws.com/${HTAN_REPOSITORY}: ${world.imageDigests.join(', ')}`,
    ];
  },
};
