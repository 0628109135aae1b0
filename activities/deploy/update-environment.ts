import { UpdateEnvironmentCommand } from '@aws-sdk/client-elastic-beanstalk';
import { activityInfo, log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { retryable } from '../failures.js';
import { rethrowAws } from './aws-calls.js';
import type { DeploySite, EnvironmentSnapshot } from './deploy-config.js';
import { waitUntilReady } from './environment-ready.js';

export interface UpdateEnvironmentInput {
  site: DeploySite;
  versionLabel: string;
  /** Epoch ms after which waiting for Ready is given up. */
  deadlineMs: number;
}

export interface EnvironmentUpdate {
  /** Epoch ms just before the request: events from here on belong to this update. */
  requestedAt: number;
  /** What the environment ran before (null on a brand-new environment). */
  previousVersion: string | null;
  /** A retry found the update already under way (or done) and did not ask again. */
  alreadyRequested: boolean;
  environment: EnvironmentSnapshot;
}

/** UpdateEnvironment to a version label, once the environment is Ready; idempotent on retry. */
export async function updateEnvironment(aws: AwsClientFactory, input: UpdateEnvironmentInput): Promise<EnvironmentUpdate> {
  const eb = aws(input.site.aws).beanstalk;
  const { application, environment, pollSeconds } = input.site.beanstalk;
  const snap = await waitUntilReady({
    eb,
    application,
    environment,
    pollMs: pollSeconds * 1000,
    deadlineMs: input.deadlineMs,
    // A retry whose first attempt got the request through sees its own update in flight.
    accept: (s) => s.status === 'Updating' && s.versionLabel === input.versionLabel,
  });
  const requestedAt = Date.now() - 1000;
  if (snap.versionLabel === input.versionLabel) {
    log.info('environment already updating to (or running) this version; not asking again', { status: snap.status, attempt: activityInfo().attempt });
    return { requestedAt, previousVersion: null, alreadyRequested: true, environment: snap };
  }
  try {
    await eb.send(new UpdateEnvironmentCommand({ ApplicationName: application, EnvironmentName: environment, VersionLabel: input.versionLabel }));
  } catch (err) {
    // Someone else's update slipped in between our Ready and our request: wait for it again.
    if (/invalid state/i.test((err as Error).message)) throw retryable('EnvironmentBusy', `Environment ${environment} became busy before the update: ${(err as Error).message}`);
    rethrowAws(err, `UpdateEnvironment ${environment} → ${input.versionLabel}`);
  }
  log.info('environment update requested', { environment, versionLabel: input.versionLabel, previousVersion: snap.versionLabel });
  return { requestedAt, previousVersion: snap.versionLabel, alreadyRequested: false, environment: snap };
}
