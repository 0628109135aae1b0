import type { AwsClientFactory } from '../aws/clients.js';
import { bind } from '../bind.js';
import { checkS3Target } from './check-s3-target.js';
import { syncS3Prefix } from './sync-s3-prefix.js';
import { verifyS3Prefix } from './verify-s3-prefix.js';

/** The S3 data target's activities: preflight, sync and verify, bound to the AWS clients they use. */
export function createS3SyncActivities(deps: { aws: AwsClientFactory }) {
  const { aws } = deps;
  return {
    checkS3Target: bind(aws, checkS3Target),
    syncS3Prefix: bind(aws, syncS3Prefix),
    verifyS3Prefix: bind(aws, verifyS3Prefix),
  };
}
