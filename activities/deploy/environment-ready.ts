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
export async function waitUntilReady(opts: {
  eb: ElasticBeanstalkClient;
  application: string;
  environment: string;
  pollMs: number;
  deadlineMs: number;
  accept?: (snap: EnvironmentSnapshot) => boolean;
}): Promise<EnvironmentSnapshot> {
  for (;;) {
    let snap: EnvironmentSnapshot | undefined;
    try {
      snap = await findEnvironment(opts.eb, opts.application, opts.environment);
    } catch (err) {
      // Throttling and 5xx were retried by the SDK client; what outlasts it fails the attempt.
      rethrowAws(err, `Describing environment ${opts.environment}`);
    }
    if (!snap) {
      throw nonRetryable('EnvironmentNotFound', `Environment "${opts.environment}" of application "${opts.application}" does not exist (any more): was it terminated meanwhile?`);
    }
    if (snap.status === 'Ready' || opts.accept?.(snap)) return snap;
    if (Date.now() > opts.deadlineMs) {
      throw nonRetryable(
        'EnvironmentNotReady',
        `Environment "${opts.environment}" stayed ${snap.status} until the deploy's time limit: another deploy or update may be running; check the Beanstalk console and start again once it is Ready.`,
      );
    }
    const status = snap.status;
    await pause(opts.pollMs, () => ({ waitingFor: 'Ready', status }));
  }
}
