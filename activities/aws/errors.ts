import { CancelledFailure } from '@temporalio/activity';
import { nonRetryable, retryable } from '../failures.js';

/**
 * The one classifier of AWS errors for every activity. AWS SDK v3 errors carry the service's
 * code as `name` (query-protocol services also as `Code`).
 */

/** AWS's throttling codes, across the query, JSON and REST protocols. */
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown', 'ProvisionedThroughputExceededException']);

const NOT_FOUND = new Set(['ResourceNotFoundException', 'FileSystemNotFound', 'NotFoundException', 'NoSuchKey', 'NoSuchBucket', 'NotFound']);

export function awsErrorCode(err: unknown): string {
  const e = err as { name?: string; Code?: string } | undefined;
  return e?.Code ?? e?.name ?? 'Error';
}

export function isThrottling(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return THROTTLING.has(awsErrorCode(err)) || /Rate exceeded/i.test(message);
}

export function isNotFound(err: unknown): boolean {
  return NOT_FOUND.has(awsErrorCode(err));
}

/** 5xx, throttling and network errors pass; a person has to fix anything else. */
export function isTransient(err: unknown): boolean {
  if (isThrottling(err)) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500;
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code);
}

/** An AWS error as one line: code and message. */
export function describeAwsError(err: unknown): string {
  return `${awsErrorCode(err)}: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Rethrows an AWS error from `doing` (a phrase: "the Transfer server lookup"). Throttling that
 * outlasted the SDK's own retries becomes `AwsThrottled`, which the activity's retry policy waits
 * out with its longer backoff; other transient errors pass as they are (also retried); anything
 * else is non-retryable with what was being done, so a bad parameter fails at once.
 */
export function rethrowAws(err: unknown, doing: string): never {
  if (err instanceof CancelledFailure) throw err;
  if (err instanceof Error && err.name === 'ApplicationFailure') throw err;
  if (isThrottling(err)) throw retryable('AwsThrottled', `AWS throttled ${doing} (${describeAwsError(err)}); retrying with backoff.`);
  if (isTransient(err)) throw err;
  throw nonRetryable('AwsRequestFailed', `${doing} failed: ${describeAwsError(err)}`);
}
