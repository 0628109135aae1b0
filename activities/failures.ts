import { ApplicationFailure } from '@temporalio/activity';
import { InputError } from '../config/errors.js';

/**
 * Failure types a person can act on. Non-retryable ones mean "fix something and start again";
 * the rest are retried with backoff by the activity's retry policy.
 */
export const NonRetryable = {
  InvalidConfig: 'InvalidConfig',
  InvalidInput: 'InvalidInput',
  StepFailed: 'StepFailed',
  CorruptData: 'CorruptData',
  MissingOutput: 'MissingOutput',
  ImageBuildFailed: 'ImageBuildFailed',
  PushFailed: 'PushFailed',
  RepositoryNotFound: 'RepositoryNotFound',
  BundleInvalid: 'BundleInvalid',
  EnvironmentNotFound: 'EnvironmentNotFound',
  EnvironmentNotReady: 'EnvironmentNotReady',
  DeployUnhealthy: 'DeployUnhealthy',
  HealthTimedOut: 'HealthTimedOut',
  SmokeCheckFailed: 'SmokeCheckFailed',
  AwsRequestFailed: 'AwsRequestFailed',
  InvalidDataDir: 'InvalidDataDir',
  FileSystemNotFound: 'FileSystemNotFound',
  InvalidRole: 'InvalidRole',
  CostLimitExceeded: 'CostLimitExceeded',
  ServerStartFailed: 'ServerStartFailed',
  RemotePermissionDenied: 'RemotePermissionDenied',
  RemoteMismatch: 'RemoteMismatch',
  ReleaseAlreadyRunning: 'ReleaseAlreadyRunning',
  ProcessSlotBusy: 'ProcessSlotBusy',
  SettingsChangedSinceApproval: 'SettingsChangedSinceApproval',
  MissingPermission: 'MissingPermission',
  /** The channel refused the message for good (revoked hook, unknown topic, no permission). */
  NotificationRejected: 'NotificationRejected',
  /** A message may have gone out without an answer: sending again could post it twice. */
  NotificationUnconfirmed: 'NotificationUnconfirmed',
  JanitorDeleteFailed: 'JanitorDeleteFailed',
  RoleNotUsable: 'RoleNotUsable',
  SftpLoginRefused: 'SftpLoginRefused',
  /** The S3 data target's bucket does not exist (data.target.bucket). */
  BucketNotFound: 'BucketNotFound',
  /** The bucket lives in another region than aws.region: every request would be redirected or refused. */
  BucketInOtherRegion: 'BucketInOtherRegion',
  /** A website release's bucket has no static website hosting (or redirects everything elsewhere). */
  NoWebsiteHosting: 'NoWebsiteHosting',
  /** The website's smoke page was not served (status and bytes in the message): nothing a retry fixes. */
  WebsiteNotServed: 'WebsiteNotServed',
} as const;

export const Retryable = {
  StepCrashed: 'StepCrashed',
  StepExitedNonZero: 'StepExitedNonZero',
  ImageBuildCrashed: 'ImageBuildCrashed',
  PushAttemptFailed: 'PushAttemptFailed',
  PushTimedOut: 'PushTimedOut',
  RegistryLoginFailed: 'RegistryLoginFailed',
  EnvironmentBusy: 'EnvironmentBusy',
  /** AWS throttled a call past the SDK's own retries (activities/aws/errors.ts). */
  AwsThrottled: 'AwsThrottled',
  SftpConnectionLost: 'SftpConnectionLost',
  ServerNotOnline: 'ServerNotOnline',
  TemporalUnavailable: 'TemporalUnavailable',
  /** The channel answered that it did not take the message (5xx, throttled, unreachable). */
  NotificationRefused: 'NotificationRefused',
} as const;

export function nonRetryable(type: keyof typeof NonRetryable, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

export function retryable(type: keyof typeof Retryable, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false });
}

/** Input errors from the config layer become non-retryable failures with the same sentence. */
export function fromInputError(err: unknown): unknown {
  if (err instanceof InputError) {
    return nonRetryable(err.kind === 'InvalidConfig' ? 'InvalidConfig' : 'InvalidInput', err.message, { field: err.field });
  }
  return err;
}
