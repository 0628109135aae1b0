import { DescribeApplicationVersionsCommand } from '@aws-sdk/client-elastic-beanstalk';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { awsErrorCode, rethrowAws } from '../aws/errors.js';
import type { DeploySite } from './deploy-config.js';

export interface DiscardBundleInput {
  site: DeploySite;
  versionLabel: string;
  bucket: string;
  key: string;
}

/**
 * Deletes the bundle a deploy uploaded when its application version was refused (quota,
 * BundleInvalid), so it does not wait in the bucket for the next successful deploy's sweep.
 * A version that does exist and names the bundle (created before a timeout or a cancel, or
 * failed in processing) keeps it: the bucket then still holds only what versions use.
 * Re-running is harmless: an object already gone is what was wanted.
 */
export async function discardSourceBundle(aws: AwsClientFactory, input: DiscardBundleInput): Promise<'deleted' | 'in-use'> {
  const clients = aws(input.site.aws);
  const application = input.site.beanstalk.application;
  try {
    const out = await clients.beanstalk.send(new DescribeApplicationVersionsCommand({ ApplicationName: application, VersionLabels: [input.versionLabel] }));
    const bundle = out.ApplicationVersions?.find((v) => v.VersionLabel === input.versionLabel)?.SourceBundle;
    if (bundle?.S3Bucket === input.bucket && bundle.S3Key === input.key) return 'in-use';
  } catch (err) {
    rethrowAws(err, `Checking whether application version ${input.versionLabel} uses its bundle`);
  }
  try {
    await clients.s3.send(new DeleteObjectCommand({ Bucket: input.bucket, Key: input.key }));
  } catch (err) {
    if (awsErrorCode(err) !== 'NoSuchKey') rethrowAws(err, `Deleting the refused version's bundle s3://${input.bucket}/${input.key}`);
  }
  log.info('deleted the bundle of a refused application version', { versionLabel: input.versionLabel, bucket: input.bucket, key: input.key });
  return 'deleted';
}
