import { retryable } from '../failures.js';

/** AWS SDK v3 errors carry the service's error code as `name`. */
export function awsErrorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

export function isNotFound(err: unknown): boolean {
  return ['ResourceNotFoundException', 'FileSystemNotFound', 'NotFoundException'].includes(awsErrorName(err));
}

export function isThrottle(err: unknown): boolean {
  return ['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown'].includes(awsErrorName(err));
}

/**
 * Throttling that outlasted the SDK's own adaptive retries becomes a retryable failure with a
 * plain message: Temporal's retry policy then waits longer than the SDK would.
 */
export function wrapAwsError(err: unknown, what: string): unknown {
  if (isThrottle(err)) return retryable('TransferThrottled', `AWS throttled ${what} (${(err as Error).message}); retrying with backoff.`);
  return err;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
