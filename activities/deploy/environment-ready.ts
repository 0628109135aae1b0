import type { ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import { nonRetryable } from '../failures.js';
import { rethrowAws } from '../aws/errors.js';
import { pause } from '../pause.js';
import type { EnvironmentSnapshot } from './deploy-config.js';
import { findEnvironment } from './describe-environment.js';

/**
 * The environment as it is now, or once it has settled into Ready: Beanstalk refuses
 * UpdateEnvironment and RestartAppServer with "invalid state … Must be Ready" while another
 * operation runs, so instead of failing we wait for it (bounded). This loop is the one layer that
 * waits for the state. The SDK's waitUntilEnvironmentUpdated is not used: it cannot take `accept`,
 * and it polls on through a vanished environment instead of failing at once.
 */
export async function waitUntilReady(
  eb: ElasticBeanstalkClient,
  target: { application: string; environment: string; pollSeconds: number },
  deadlineMs: number,
  accept?: (snap: EnvironmentSnapshot) => boolean,
): Promise<EnvironmentSnapshot> {
  const { application, environment, pollSeconds } = target;
  for (;;) {
    let snap: EnvironmentSnapshot | undefined;
    try {
      snap = await findEnvironment(eb, application, environment);
    } catch (err) {
      // Throttling and 5xx were retried by the SDK client; what outlasts it fails the attempt.
      rethrowAws(err, `Describing environment ${environment}`);
    }
    if (!snap) {
      throw nonRetryable('EnvironmentNotFound', `Environment "${environment}" of application "${application}" does not exist (any more): was it terminated meanwhile?`);
    }
    if (snap.status === 'Ready' || accept?.(snap)) return snap;
    if (Date.now() > deadlineMs) {
      throw nonRetryable(
        'EnvironmentNotReady',
        `Environment "${environment}" stayed ${snap.status} until the deploy's time limit: another deploy or update may be running; check the Beanstalk console and start again once it is Ready.`,
      );
    }
    const status = snap.status;
    await pause(pollSeconds * 1000, () => ({ waitingFor: 'Ready', status }));
  }
}
