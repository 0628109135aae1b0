import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Activities as Acts } from '../activities/index.js';
import type { SiteConfig } from '../config/load.js';
import { awsBackoff, awsCall } from './activity-options.js';

type Beanstalk = NonNullable<SiteConfig['beanstalk']>;
type Image = NonNullable<SiteConfig['image']>;

/*
 * The deploy's activity options, one preset per kind of work. Retries: the AWS SDK retries a
 * throttled or 5xx call inside one attempt; these policies retry what outlasts it (AwsThrottled,
 * a dead worker, a dropped connection). Activities do not loop on AWS errors themselves.
 */

/** Activities that wait on Beanstalk (version processing, Ready before an update): heartbeating. */
const beanstalkWait = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: awsBackoff(8),
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;

export const quickActivities = proxyActivities<Acts>(awsCall);

/** Reads each retained version's bundle and deletes in batches: minutes at most, heartbeating. */
export const pruneActivities = proxyActivities<Acts>({ ...awsCall, startToCloseTimeout: '15 minutes', heartbeatTimeout: '1 minute' });

export function waitingActivities(beanstalk: Beanstalk) {
  return proxyActivities<Acts>({ ...beanstalkWait, startToCloseTimeout: `${beanstalk.timeoutMinutes + 10} minutes` });
}

/** The health wait: a dead worker is noticed within the heartbeat timeout and the wait resumes elsewhere. */
export function healthActivities(beanstalk: Beanstalk) {
  const heartbeatSeconds = Math.max(10, Math.min(60, beanstalk.pollSeconds * 3));
  return proxyActivities<Acts>({
    startToCloseTimeout: `${beanstalk.timeoutMinutes + 10} minutes`,
    heartbeatTimeout: `${heartbeatSeconds} seconds`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

export function smokeActivities(beanstalk: Beanstalk) {
  return proxyActivities<Acts>({
    startToCloseTimeout: `${beanstalk.smokeTimeoutSeconds + 60} seconds`,
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2s', maximumAttempts: 3 },
  });
}

/** docker build: hours allowed; a crashed worker's build is adopted by the retry. */
export function buildActivities(image: Image) {
  return proxyActivities<Acts>({
    startToCloseTimeout: `${image.buildTimeoutHours} hours`,
    heartbeatTimeout: '2 minutes',
    retry: { initialInterval: `${image.retryInitialSeconds} seconds`, backoffCoefficient: 2, maximumAttempts: 2 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

/** docker push: each attempt bounded inside the activity by image.pushTimeoutMinutes, then retried. */
export function pushActivities(image: Image) {
  return proxyActivities<Acts>({
    startToCloseTimeout: `${Math.ceil(image.pushTimeoutMinutes * 60) + 300} seconds`,
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: `${image.retryInitialSeconds} seconds`, backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: image.pushAttempts },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}
