import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CreateStorageLocationCommand } from '@aws-sdk/client-elastic-beanstalk';
import { CreateBucketCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { log } from '@temporalio/activity';
import type { AwsClientFactory, AwsClients } from '../aws/clients.js';
import { nonRetryable } from '../failures.js';
import { runDir } from '../run-dir.js';
import { awsErrorCode, rethrowAws } from '../aws/errors.js';
import type { DeploySite } from './deploy-config.js';
import { DOCKERRUN, listBundleFiles, pinImage, writeBundleZip } from './source-bundle.js';

export interface UploadBundleInput {
  site: DeploySite;
  bucket: string;
  versionLabel: string;
  /** Registry URI without tag, and the pushed digest the bundle is pinned to. */
  repository: string;
  digest: string;
}

export interface UploadedBundle {
  bucket: string;
  key: string;
  bytes: number;
  files: string[];
  /** The image references in Dockerrun.aws.json that now name the digest. */
  pinned: string[];
  zipPath: string;
}

/**
 * Zips the Beanstalk files with the image pinned to its digest and puts the zip in S3 under
 * `<application>/<label>.zip`, as `eb deploy` does. Re-running puts the same bytes again.
 */
export async function uploadSourceBundle(aws: AwsClientFactory, input: UploadBundleInput): Promise<UploadedBundle> {
  const { site } = input;
  const files = await listBundleFiles(site.siteDir, site.beanstalk.bundle);
  const dockerrun = files.find((f) => f.name === DOCKERRUN);
  if (!dockerrun) throw nonRetryable('BundleInvalid', `${DOCKERRUN} is missing from the source bundle.`);
  const { text, pinned } = pinImage(await readFile(dockerrun.absolute, 'utf8'), dockerrun.absolute, input.repository, input.digest);
  const bundleDir = path.join(runDir(site.stateDir), 'bundle');
  await mkdir(bundleDir, { recursive: true });
  const zipPath = path.join(bundleDir, `${input.versionLabel}.zip`);
  const bytes = await writeBundleZip(files, text, zipPath);

  const clients = aws(site.aws);
  await ensureBucket(clients, input.bucket, site);
  const key = `${site.beanstalk.application}/${input.versionLabel}.zip`;
  try {
    await clients.s3.send(
      new PutObjectCommand({ Bucket: input.bucket, Key: key, Body: await readFile(zipPath), ContentType: 'application/zip', ContentLength: bytes }),
    );
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: input.bucket, Key: key }));
    if (head.ContentLength !== bytes) throw new Error(`S3 holds ${head.ContentLength ?? '?'} bytes, expected ${bytes}`);
  } catch (err) {
    rethrowAws(err, `Uploading the source bundle to s3://${input.bucket}/${key}`);
  }
  log.info('source bundle uploaded', { bucket: input.bucket, key, bytes, files: files.length, pinned });
  return { bucket: input.bucket, key, bytes, files: files.map((f) => f.name), pinned, zipPath };
}

/**
 * The default bucket is Beanstalk's to create (CreateStorageLocation, as the EB CLI does); a
 * bucket named in config must already exist, because creating it would hide a typo.
 */
async function ensureBucket(clients: AwsClients, bucket: string, site: DeploySite): Promise<void> {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (err) {
    const code = awsErrorCode(err);
    if (code !== 'NotFound' && code !== 'NoSuchBucket') rethrowAws(err, `Checking S3 bucket ${bucket}`);
  }
  if (site.beanstalk.s3Bucket) {
    throw nonRetryable('InvalidConfig', `S3 bucket "${bucket}" (beanstalk.s3Bucket) does not exist: create it, or remove beanstalk.s3Bucket to use Beanstalk's own bucket.`, { field: 'beanstalk.s3Bucket' });
  }
  try {
    const out = await clients.beanstalk.send(new CreateStorageLocationCommand({}));
    if (out.S3Bucket === bucket) return;
    log.warn('Beanstalk storage location differs from the expected default bucket', { expected: bucket, got: out.S3Bucket });
  } catch (err) {
    // The local sim does not implement CreateStorageLocation; S3 CreateBucket makes the same bucket.
    if (!/UnknownOperation|InvalidAction|NotImplemented/i.test(awsErrorCode(err))) rethrowAws(err, 'Creating the Beanstalk storage bucket');
  }
  try {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const code = awsErrorCode(err);
    if (code !== 'BucketAlreadyOwnedByYou') rethrowAws(err, `Creating S3 bucket ${bucket}`);
  }
}
