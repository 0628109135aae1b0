import { GetBucketWebsiteCommand } from '@aws-sdk/client-s3';
import { log } from '@temporalio/activity';
import type { SiteConfig } from '../../config/load.js';
import { websiteHost } from '../../config/website-endpoint.js';
import type { AwsClientFactory } from '../aws/clients.js';
import { awsErrorCode, rethrowAws } from '../aws/errors.js';
import { nonRetryable } from '../failures.js';
import { checkBucketRegion } from '../s3-sync/check-s3-target.js';

export interface CheckWebsiteTargetInput {
  config: SiteConfig;
}

/** Where the website is checked, known before a single file is compiled or uploaded. */
export interface WebsiteTarget {
  bucket: string;
  region: string;
  /** The page's real URL: `http://<bucket>.s3-website…amazonaws.com<smokePath>`. */
  url: string;
  /** On the sim (aws.websiteEndpoint): where the request goes, keeping the real host in Host. */
  connectTo?: string;
  indexDocument: string | null;
  errorDocument: string | null;
  smokeTimeoutSeconds: number;
}

/**
 * A website release's preflight, run before the compile: the data target is a website bucket
 * that exists in aws.region and has static website hosting on. Each failure is non-retryable
 * and names the config field to fix; nothing has been compiled or uploaded yet.
 */
export async function checkWebsiteTarget(aws: AwsClientFactory, input: CheckWebsiteTargetInput): Promise<WebsiteTarget> {
  const { config } = input;
  const target = config.data?.target;
  const file = `Config file ${config.configPath}`;
  if (!config.website) {
    throw nonRetryable('InvalidConfig', `${file} has no "website" section, which names the page the release checks: add one such as {"smokePath": "/dashboard/index.html"}.`, { field: 'website.smokePath' });
  }
  if (target?.kind !== 's3' || !target.website) {
    throw nonRetryable('InvalidConfig', `${file} has no S3 website data target: set data.target to {"kind": "s3", "bucket": "…", "prefix": "…", "website": true}.`, { field: 'data.target.website' });
  }
  if (!config.aws) throw nonRetryable('InvalidConfig', `${file} has no "aws" section: add one such as {"region": "us-east-1"} naming the bucket's region.`, { field: 'aws' });
  const { region, endpoint, websiteEndpoint } = config.aws;
  const clients = aws({ region, ...(endpoint ? { endpoint } : {}) });
  await checkBucketRegion(clients, target.bucket, region, endpoint);
  let website;
  try {
    website = await clients.s3.send(new GetBucketWebsiteCommand({ Bucket: target.bucket }));
  } catch (err) {
    if (awsErrorCode(err) === 'NoSuchWebsiteConfiguration') {
      throw nonRetryable('NoWebsiteHosting',
        `data.target.bucket "${target.bucket}" has no static website hosting, so S3 would serve no page at ${websiteHost(target.bucket, region)}: ` +
          `turn it on (aws s3 website s3://${target.bucket}/ --index-document index.html), or name the website's bucket.`,
        { field: 'data.target.bucket' });
    }
    rethrowAws(err, `reading the website configuration of data.target.bucket "${target.bucket}"`);
  }
  if (website.RedirectAllRequestsTo) {
    throw nonRetryable('NoWebsiteHosting', `data.target.bucket "${target.bucket}" redirects every request to ${website.RedirectAllRequestsTo.HostName ?? '?'}, so it serves no page of its own: name the bucket that holds the website.`, { field: 'data.target.bucket' });
  }
  const url = `http://${websiteHost(target.bucket, region)}${config.website.smokePath}`;
  log.info('website target checked', { bucket: target.bucket, url });
  return {
    bucket: target.bucket,
    region,
    url,
    ...(websiteEndpoint ? { connectTo: websiteEndpoint } : {}),
    indexDocument: website.IndexDocument?.Suffix ?? null,
    errorDocument: website.ErrorDocument?.Key ?? null,
    smokeTimeoutSeconds: config.website.smokeTimeoutSeconds,
  };
}
