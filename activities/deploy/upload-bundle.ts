import { createHash } from 'node:crypto';
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
import { DOCKERRUN, listBundleFiles, pinImage, writeBundleZip, type BundleFile } from './source-bundle.js';

export interface UploadBundleInput {
  site: DeploySite;
  bucket: string;
  versionLabel: string;
  /** Registry URI without tag, and the pushed digest the bundle is pinned to (a Docker bundle only). */
  repository?: string;
  digest?: string;
}

export interface UploadedBundle {
  bucket: string;
  key: string;
  bytes: number;
  files: string[];
  /** The image references in Dockerrun.aws.json that now name the digest. */
  pinned: string[];
  zipPath: string;
  /** False when the bucket already held these exact bytes under the key (an unchanged app's version reused). */
  put?: boolean;
}

/**
 * Zips the Beanstalk files and puts the zip in S3 under `<application>/<label>.zip`, as `eb
 * deploy` does: a Docker bundle with the image pinned to its digest, or (no image section) the
 * app's own files. Bytes already there under the key (same SHA-256) are not sent again.
 */
export async function uploadSourceBundle(aws: AwsClientFactory, input: UploadBundleInput): Promise<UploadedBundle> {
  const { site } = input;
  let files: BundleFile[];
  let pinnedText: string | null = null;
  let pinned: string[] = [];
  if (site.image) {
    files = await listBundleFiles(site.siteDir, site.beanstalk.bundle);
    const dockerrun = files.find((f) => f.name === DOCKERRUN);
    if (!dockerrun) throw nonRetryable('BundleInvalid', `${DOCKERRUN} is missing from the source bundle.`);
    if (!input.repository || !input.digest) throw nonRetryable('BundleInvalid', 'A Docker source bundle needs the pushed image (repository and digest) to pin.');
    ({ text: pinnedText, pinned } = pinImage(await readFile(dockerrun.absolute, 'utf8'), dockerrun.absolute, input.repository, input.digest));
  } else {
    files = await listBundleFiles(site.siteDir, site.beanstalk.bundle, 'source', site.stateDir);
  }
  const bundleDir = path.join(runDir(site.stateDir), 'bundle');
  await mkdir(bundleDir, { recursive: true });
  const zipPath = path.join(bundleDir, `${input.versionLabel}.zip`);
  const bytes = await writeBundleZip(files, pinnedText, zipPath);
  const body = await readFile(zipPath);
  const checksum = createHash('sha256').update(body).digest('base64');

  const clients = aws(site.aws);
  await ensureBucket(clients, input.bucket, site);
  const key = `${site.beanstalk.application}/${input.versionLabel}.zip`;
  let put = true;
  try {
    // Only an app bundle's label can repeat (it names the app's digest); a Docker label is new each time.
    put = site.image ? true : !(await holdsBytes(clients, input.bucket, key, bytes, checksum));
    if (put) {
      await clients.s3.send(
        new PutObjectCommand({ Bucket: input.bucket, Key: key, Body: body, ContentType: 'application/zip', ContentLength: bytes, ChecksumSHA256: checksum }),
      );
      const head = await clients.s3.send(new HeadObjectCommand({ Bucket: input.bucket, Key: key }));
      if (head.ContentLength !== bytes) throw new Error(`S3 holds ${head.ContentLength ?? '?'} bytes, expected ${bytes}`);
    }
  } catch (err) {
    rethrowAws(err, `Uploading the source bundle to s3://${input.bucket}/${key}`);
  }
  log.info(put ? 'source bundle uploaded' : 'source bundle already in S3', { bucket: input.bucket, key, bytes, files: files.length, pinned });
  return { bucket: input.bucket, key, bytes, files: files.map((f) => f.name), pinned, zipPath, put };
}

/** Whether the key already holds exactly these bytes (size and S3's own SHA-256). */
async function holdsBytes(clients: AwsClients, bucket: string, key: string, bytes: number, checksum: string): Promise<boolean> {
  try {
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }));
    return head.ContentLength === bytes && head.ChecksumSHA256 === checksum;
  } catch (err) {
    const code = awsErrorCode(err);
    if (code === 'NotFound' || code === 'NoSuchKey') return false;
    throw err;
  }
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
