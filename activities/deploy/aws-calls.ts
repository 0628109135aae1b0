import { activityInfo, cancelled, CancelledFailure, heartbeat } from '@temporalio/activity';
import { nonRetryable } from '../failures.js';

/** AWS's throttling codes, across the query and JSON protocols. */
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown', 'ProvisionedThroughputExceededException']);

export function awsErrorCode(err: unknown): string {
  const e = err as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return e.Code ?? e.name ?? 'Error';
}

export function isThrottling(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return THROTTLING.has(awsErrorCode(err)) || /Rate exceeded/i.test(message);
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
 * Rethrows an AWS error: transient ones as they are (the activity retry policy retries them),
 * the rest as non-retryable with what was being done, so a bad parameter fails at once.
 */
export function rethrowAws(err: unknown, doing: string): never {
  if (err instanceof CancelledFailure || isTransient(err)) throw err;
  if (err instanceof Error && err.name === 'ApplicationFailure') throw err;
  throw nonRetryable('AwsRequestFailed', `${doing} failed: ${describeAwsError(err)}`);
}

/**
 * Sleeps, ending early with the activity's cancellation. Heartbeats throughout, so a wait that
 * is long between polls still proves the worker is alive.
 */
export async function pause(ms: number, details?: () => unknown): Promise<void> {
  const deadline = Date.now() + ms;
  let cancelError: unknown;
  const whenCancelled = cancelled().catch((err: unknown) => {
    cancelError = err;
  });
  while (Date.now() < deadline) {
    heartbeat(details?.());
    await Promise.race([new Promise((resolve) => setTimeout(resolve, Math.min(1000, deadline - Date.now()))), whenCancelled]);
    if (cancelError !== undefined) throw cancelError;
  }
}

/** Heartbeat details of the previous attempt of this activity, if it got far enough to send any. */
export function previousDetails<T>(): T | undefined {
  return activityInfo().heartbeatDetails as T | undefined;
}
