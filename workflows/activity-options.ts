import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Activities as Acts } from '../activities/index.js';

/**
 * Activity option presets more than one workflow uses. Retry layers: the AWS SDK retries a
 * throttled or 5xx call within one attempt (activities/aws/clients.ts); these policies retry what
 * outlasts it (AwsThrottled, a 5xx storm, a worker that died), pacing from 2 s up to a minute.
 */

/** Exponential backoff from 2 s to one minute, for AWS work that outlasted the SDK's own retries. */
export function awsBackoff(maximumAttempts: number) {
  return { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts } as const;
}

/** Config reads and single AWS calls: a few retries, quick to give up on a bad request (non-retryable anyway). */
export const awsCall = { startToCloseTimeout: '3 minutes', retry: awsBackoff(8) } as const;

/**
 * Deleting a Transfer server stops the bill: heartbeating while it waits for the deletion, and
 * retried `attempts` times (a minute apart at most) before the caller gives up and says so.
 */
export function teardownOptions(attempts: number) {
  return { startToCloseTimeout: '20 minutes', heartbeatTimeout: '1 minute', retry: awsBackoff(attempts) } as const;
}

/**
 * Data transfer (upload, verify) resumes from its heartbeat and journal, so each retry costs
 * little: paced and counted by the site's config (data.retryInitialSeconds, data.maxAttempts).
 */
export function dataTransferRetry(s: { retryInitialSeconds: number; maxAttempts: number }) {
  return { initialInterval: `${s.retryInitialSeconds} seconds`, backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: s.maxAttempts } as const;
}

/** After a data sync, the deploy's own activities: wait Ready, restart the app servers, wait until healthy. */
export function restartAfterSync(s: { retryInitialSeconds: number; maxAttempts: number }) {
  const restarting = proxyActivities<Acts>({
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: '2 minutes',
    retry: { ...dataTransferRetry(s), maximumAttempts: 5 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return { restartAppServer: restarting.restartAppServer, waitForHealthyEnvironment: restarting.waitForHealthyEnvironment };
}
