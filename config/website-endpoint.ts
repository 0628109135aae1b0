/**
 * Where S3 serves a bucket's website: `http://<bucket>.s3-website-<region>.amazonaws.com` in the
 * regions of the AWS general reference's dash list, `http://<bucket>.s3-website.<region>.amazonaws.com`
 * everywhere else (China adds `.cn`). Pure, so the workflows and the activities can both use it.
 */
const DASH_REGIONS = new Set(['us-east-1', 'us-west-1', 'us-west-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'eu-west-1', 'sa-east-1', 'us-gov-west-1']);

export function websiteHost(bucket: string, region: string): string {
  return `${bucket}.s3-website${DASH_REGIONS.has(region) ? '-' : '.'}${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}
