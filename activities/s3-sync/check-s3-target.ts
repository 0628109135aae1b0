import { stat } from 'node:fs/promises';
import path from 'node:path';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { DescribeEnvironmentsCommand } from '@aws-sdk/client-elastic-beanstalk';
import { log } from '@temporalio/activity';
import type { SiteConfig } from '../../config/load.js';
import type { AwsClientFactory, AwsClients, AwsTarget } from '../aws/clients.js';
import { awsErrorCode, isNotFound, rethrowAws } from '../aws/errors.js';
import { nonRetryable } from '../failures.js';
import { walkLocalTree } from '../sync/local-tree.js';
import { totals, type Totals } from '../sync/plan-sync.js';

export interface CheckS3TargetInput {
  config: SiteConfig;
  /** From the workflow input: absolute, or relative to the site dir. */
  localDir?: string;
  deleteExtraneous?: boolean;
}

/** Everything the S3 sync needs, checked before a single object is written. */
export interface S3SyncSettings {
  site: string;
  aws: AwsTarget;
  stateDir: string;
  localDir: string;
  local: Totals;
  bucket: string;
  prefix: string;
  /** `s3://bucket/prefix/`, for results and logs. */
  remote: string;
  website: boolean;
  deleteExtraneous: boolean;
  parallelism: number;
  verify: 'size' | 'sample' | 'all';
  verifySample: number;
  multipartThresholdBytes: number;
  partSizeBytes: number;
  heartbeatTimeoutSeconds: number;
  retryInitialSeconds: number;
  maxAttempts: number;
  restartEnvironment?: string;
}

const MiB = 1024 * 1024;

/**
 * data.target.bucket exists and lives in aws.region; otherwise a non-retryable failure naming
 * the field. The S3 sync's preflight and the website release's (before compile) both use it.
 */
export async function checkBucketRegion(clients: AwsClients, bucket: string, region: string, endpoint?: string): Promise<void> {
  let bucketRegion: string | undefined;
  try {
    const head = await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    bucketRegion = head.BucketRegion;
  } catch (err) {
    // S3 names the bucket's region in x-amz-bucket-region, also on the refusal of a misdirected request.
    const headers = (err as { $response?: { headers?: Record<string, string> } }).$response?.headers;
    bucketRegion = headers?.['x-amz-bucket-region'];
    if (bucketRegion === undefined) {
      if (isNotFound(err) || awsErrorCode(err) === 'NotFound') {
        throw nonRetryable('BucketNotFound', `data.target.bucket "${bucket}" does not exist (${region}${endpoint ? ` at ${endpoint}` : ''}): create it, or fix the name.`, { field: 'data.target.bucket' });
      }
      if (awsErrorCode(err) === 'Forbidden' || awsErrorCode(err) === 'AccessDenied') {
        throw nonRetryable('MissingPermission', `data.target.bucket "${bucket}" cannot be read by the worker's credentials (403): allow s3:ListBucket on it, or fix the name.`, { field: 'data.target.bucket' });
      }
      rethrowAws(err, `the check of data.target.bucket "${bucket}"`);
    }
  }
  if (bucketRegion !== undefined && bucketRegion !== region) {
    throw nonRetryable('BucketInOtherRegion', `data.target.bucket "${bucket}" is in ${bucketRegion}, but the site's region (aws.region) is ${region}: set aws.region to ${bucketRegion}, or use a bucket in ${region}.`, { field: 'data.target.bucket' });
  }
}

/**
 * The S3 target's preflight: the local dir, the bucket (it exists, and in the config's region)
 * and the environment to restart. Every failure is non-retryable, one sentence naming the
 * field, and comes before any upload.
 */
export async function checkS3Target(aws: AwsClientFactory, input: CheckS3TargetInput): Promise<S3SyncSettings> {
  const { config } = input;
  const data = config.data;
  if (!data || data.target.kind !== 's3') {
    throw nonRetryable('InvalidConfig', `Config file ${config.configPath} has no S3 data target: set data.target to {"kind": "s3", "bucket": "…", "prefix": "…"}.`, { field: 'data.target' });
  }
  if (!config.aws) {
    throw nonRetryable('InvalidConfig', `Config file ${config.configPath} has no "aws" section: add one such as {"region": "us-east-1"} naming the bucket's region.`, { field: 'aws' });
  }
  const target = data.target;
  const region = config.aws.region;
  const awsTarget: AwsTarget = { region, ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) };

  const field = input.localDir ? 'input "localDir"' : 'data.localDir';
  const localDir = input.localDir ? path.resolve(config.siteDir, input.localDir) : data.localDir;
  const info = await stat(localDir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw nonRetryable('InvalidDataDir', `${field} ${localDir} ${info ? 'is not a directory' : 'does not exist'}: run the compile first, or point ${field} at the directory to upload.`, { field });
  }
  const deleteExtraneous = input.deleteExtraneous ?? data.deleteExtraneous;
  const tree = await walkLocalTree(localDir, { field });
  const local = totals(tree.files);
  if (local.files === 0 && deleteExtraneous) {
    // An empty dir with deleteExtraneous would empty the prefix; that is never intended.
    throw nonRetryable('InvalidDataDir', `${field} ${localDir} is empty and deleteExtraneous is on, which would delete everything under s3://${target.bucket}/${target.prefix}/: check that the compile wrote its output there.`, { field });
  }

  const clients = aws(awsTarget);
  await checkBucketRegion(clients, target.bucket, region, config.aws.endpoint);

  let restartEnvironment: string | undefined;
  if (config.beanstalk?.restartAfterSync) {
    restartEnvironment = config.beanstalk.environment;
    try {
      const { Environments } = await clients.beanstalk.send(
        new DescribeEnvironmentsCommand({ ApplicationName: config.beanstalk.application, EnvironmentNames: [restartEnvironment], IncludeDeleted: false }),
      );
      if (!Environments?.some((e) => e.Status !== 'Terminated')) {
        throw nonRetryable('EnvironmentNotFound', `beanstalk.environment "${restartEnvironment}" does not exist in application "${config.beanstalk.application}", and beanstalk.restartAfterSync needs it: fix the name or set restartAfterSync to false.`, { field: 'beanstalk.environment' });
      }
    } catch (err) {
      rethrowAws(err, 'the check of beanstalk.environment');
    }
  }
  log.info('S3 sync prerequisites checked', { bucket: target.bucket, prefix: target.prefix, files: local.files, bytes: local.bytes });
  return {
    site: config.site,
    aws: awsTarget,
    stateDir: config.stateDir,
    localDir,
    local,
    bucket: target.bucket,
    prefix: target.prefix,
    remote: `s3://${target.bucket}/${target.prefix}/`,
    website: target.website,
    deleteExtraneous,
    parallelism: data.parallelism,
    verify: data.verify,
    verifySample: data.verifySample,
    multipartThresholdBytes: Math.round(target.multipartThresholdMb * MiB),
    partSizeBytes: target.partSizeMb * MiB,
    heartbeatTimeoutSeconds: target.heartbeatTimeoutSeconds,
    retryInitialSeconds: target.retryInitialSeconds,
    maxAttempts: target.maxAttempts,
    ...(restartEnvironment ? { restartEnvironment } : {}),
  };
}
