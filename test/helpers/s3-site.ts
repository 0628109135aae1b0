import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { simControl, startSim, type ResponseRecord, type RunningSim } from '../../sim/index.js';
import { makeSampleSite, type SampleSite } from './sample-site.js';

export interface S3Fixture {
  sim: RunningSim;
  control: ReturnType<typeof simControl>;
  /** Every AWS reply the sim sent, as the wire saw it (operation and status). */
  records: ResponseRecord[];
  client(region?: string): S3Client;
  /** Successful replies of one operation so far. */
  count(operation: string): number;
  close(): Promise<void>;
}

export async function startS3Sim(): Promise<S3Fixture> {
  const records: ResponseRecord[] = [];
  const sim = await startSim({ transferStartSeconds: 0.5, beanstalkUpdateSeconds: 0.3, observer: (r) => records.push(r) });
  const clients: S3Client[] = [];
  return {
    sim,
    control: simControl(sim.controlUrl),
    records,
    client: (region = 'us-east-1') => {
      const c = new S3Client({ endpoint: sim.endpoint, region, forcePathStyle: true, credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
      clients.push(c);
      return c;
    },
    count: (operation) => records.filter((r) => r.service === 's3' && r.operation === operation && r.status < 300).length,
    close: async () => {
      for (const c of clients) c.destroy();
      await sim.close();
    },
  };
}

export async function createBucket(s3: S3Client, bucket: string, region = 'us-east-1'): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as 'us-west-2' } }) }));
}

export interface S3Site extends SampleSite {
  dataDir: string;
}

/** The sample site whose data target is `s3://bucket/prefix` on the sim. */
export async function makeS3Site(fx: S3Fixture, target: Record<string, unknown>, data: Record<string, unknown> = {}): Promise<S3Site> {
  const site = await makeSampleSite({
    edit: (config) => {
      config.aws = { region: 'us-east-1', endpoint: fx.sim.endpoint };
      config.data = {
        localDir: 'data/site',
        parallelism: 4,
        verify: 'all',
        ...data,
        target: { kind: 's3', heartbeatTimeoutSeconds: 5, retryInitialSeconds: 0.5, maxAttempts: 6, ...target },
      };
      delete config.transfer;
    },
  });
  const dataDir = path.join(site.dir, 'data', 'site');
  await mkdir(dataDir, { recursive: true });
  return { ...site, dataDir };
}

/** relative path (under prefix/) → sha256 hex of the object's bytes, read back with GetObject. */
export async function snapshotPrefix(s3: S3Client, bucket: string, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: `${prefix}/` })) {
    for (const o of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
      const bytes = await got.Body?.transformToByteArray();
      out[(o.Key ?? '').slice(prefix.length + 1)] = createHash('sha256').update(bytes ?? new Uint8Array()).digest('hex');
    }
  }
  return out;
}

/** key → LastModified + ETag: an object re-sent gets a new one. */
export async function objectStamps(fx: S3Fixture, bucket: string): Promise<Record<string, string>> {
  const state = await fx.control.state();
  const objects = state.s3.buckets[bucket]?.objects ?? {};
  return Object.fromEntries(Object.values(objects).map((o) => [o.key, `${o.file}`]));
}

export async function openUploads(s3: S3Client, bucket: string): Promise<number> {
  return (await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads?.length ?? 0;
}

/** The local tree as snapshotTree gives it, files only (S3 has no directories). */
export function filesOnly(tree: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).filter(([k]) => !k.endsWith('/')));
}
