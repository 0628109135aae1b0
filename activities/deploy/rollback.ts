import { AbortEnvironmentUpdateCommand } from '@aws-sdk/client-elastic-beanstalk';
import { log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { rethrowAws } from '../aws/errors.js';
import type { DeploySite, EnvironmentSnapshot } from './deploy-config.js';
import { findEnvironment } from './describe-environment.js';
import { waitUntilReady } from './environment-ready.js';

export interface AbortUpdateInput {
  site: DeploySite;
  deadlineMs: number;
}

export interface AbortOutcome {
  aborted: boolean;
  environment: EnvironmentSnapshot | null;
}

/**
 * Before rolling back a deploy that timed out: an update still in flight would refuse the
 * rollback's UpdateEnvironment, so it is aborted (when Beanstalk says it can be) and waited out.
 */
export async function abortEnvironmentUpdate(aws: AwsClientFactory, input: AbortUpdateInput): Promise<AbortOutcome> {
  const eb = aws(input.site.aws).beanstalk;
  const { application, environment } = input.site.beanstalk;
  const snap = await findEnvironment(eb, application, environment).catch((err: unknown) => rethrowAws(err, `Describing ${environment}`));
  if (!snap) return { aborted: false, environment: null };
  let aborted = false;
  if (snap.abortable) {
    try {
      await eb.send(new AbortEnvironmentUpdateCommand({ EnvironmentName: environment }));
      aborted = true;
      log.warn('aborted the environment update in flight', { environment });
    } catch (err) {
      // It may have finished between the describe and the abort; waiting for Ready covers both.
      if (!/invalid state/i.test((err as Error).message)) rethrowAws(err, `AbortEnvironmentUpdate ${environment}`);
    }
  }
  const settled = await waitUntilReady(eb, input.site.beanstalk, input.deadlineMs);
  return { aborted, environment: settled };
}
