import { RestartAppServerCommand } from '@aws-sdk/client-elastic-beanstalk';
import { activityInfo, log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { retryable } from '../failures.js';
import { rethrowAws } from '../aws/errors.js';
import type { DeploySite, EnvironmentSnapshot } from './deploy-config.js';
import { waitUntilReady } from './environment-ready.js';

export interface RestartInput {
  site: DeploySite;
  deadlineMs: number;
}

export interface RestartRequest {
  requestedAt: number;
  versionLabel: string | null;
  environment: EnvironmentSnapshot;
}

/** RestartAppServer for a data-only release: the app reloads its data without a new version. */
export async function restartAppServer(aws: AwsClientFactory, input: RestartInput): Promise<RestartRequest> {
  const eb = aws(input.site.aws).beanstalk;
  const { environment } = input.site.beanstalk;
  const retry = activityInfo().attempt > 1;
  // On a retry an Updating environment is most likely our own restart under way.
  const snap = await waitUntilReady(eb, input.site.beanstalk, input.deadlineMs, (s) => retry && s.status === 'Updating');
  const requestedAt = Date.now() - 1000;
  if (snap.status === 'Ready') {
    try {
      await eb.send(new RestartAppServerCommand({ EnvironmentName: environment }));
    } catch (err) {
      if (/invalid state/i.test((err as Error).message)) throw retryable('EnvironmentBusy', `Environment ${environment} became busy before the restart: ${(err as Error).message}`);
      rethrowAws(err, `RestartAppServer ${environment}`);
    }
  }
  log.info('app server restart requested', { environment, versionLabel: snap.versionLabel });
  return { requestedAt, versionLabel: snap.versionLabel, environment: snap };
}
