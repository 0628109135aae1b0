import {
  CreateApplicationCommand,
  CreateApplicationVersionCommand,
  DescribeApplicationVersionsCommand,
  DescribeApplicationsCommand,
  DescribeEventsCommand,
  type ApplicationVersionDescription,
  type ElasticBeanstalkClient,
} from '@aws-sdk/client-elastic-beanstalk';
import { log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable } from '../failures.js';
import { awsErrorCode, describeAwsError, isTransient, rethrowAws } from '../aws/errors.js';
import { pause } from '../pause.js';
import type { DeploySite } from './deploy-config.js';
import { resolveRoleArn } from '../sync/resolve-role.js';
import { DEFAULT_KEEP_VERSIONS, ensureVersionLifecycle, makeRoomForVersion } from './version-lifecycle.js';

export interface CreateVersionInput {
  site: DeploySite;
  versionLabel: string;
  bucket: string;
  key: string;
  description: string;
}

export interface CreatedVersion {
  versionLabel: string;
  /** True when the label already existed (a retry, or a re-run), so it was reused. */
  reused: boolean;
  applicationCreated: boolean;
}

/**
 * CreateApplicationVersion with Process=true, then waits until Beanstalk has processed it. A
 * label that already exists with the same bundle is reused instead of failing with "already
 * exists" (what the EB CLI and beanstalk-deploy trip over on a retry).
 */
export async function createApplicationVersion(aws: AwsClientFactory, input: CreateVersionInput): Promise<CreatedVersion> {
  const clients = aws(input.site.aws);
  const eb = clients.beanstalk;
  const application = input.site.beanstalk.application;
  const applicationCreated = await ensureApplication(eb, application, input.site.site);
  // Inputs recorded before these settings existed carry neither: the defaults apply.
  const keep = input.site.beanstalk.keepVersions ?? DEFAULT_KEEP_VERSIONS;
  const serviceRole = await resolveRoleArn(clients.sts, input.site.beanstalk.serviceRole ?? 'aws-elasticbeanstalk-service-role', 'beanstalk.serviceRole');
  await ensureVersionLifecycle(eb, application, keep, serviceRole);
  let reused = false;
  let existing = await findVersion(eb, application, input.versionLabel);
  if (!existing) {
    try {
      await makeRoomForVersion(eb, application, keep, [input.versionLabel]);
    } catch (err) {
      rethrowAws(err, `Making room for application version ${input.versionLabel}`);
    }
    try {
      await eb.send(
        new CreateApplicationVersionCommand({
          ApplicationName: application,
          VersionLabel: input.versionLabel,
          Description: input.description.slice(0, 200),
          SourceBundle: { S3Bucket: input.bucket, S3Key: input.key },
          Process: true,
        }),
      );
    } catch (err) {
      if (awsErrorCode(err) === 'TooManyApplicationVersionsException') {
        throw nonRetryable(
          'AwsRequestFailed',
          `Beanstalk refused application version ${input.versionLabel}: the region's application version quota is full (other applications' versions count too) even after keeping only ${keep} of ${application}'s. ` +
            `Delete old versions of other applications (or lower beanstalk.keepVersions), or ask AWS to raise the quota, then deploy again.`,
          { field: 'beanstalk.keepVersions' },
        );
      }
      if (!/already exists/i.test((err as Error).message)) rethrowAws(err, `Creating application version ${input.versionLabel}`);
    }
    existing = await findVersion(eb, application, input.versionLabel);
  } else {
    reused = true;
  }
  if (existing?.SourceBundle && (existing.SourceBundle.S3Bucket !== input.bucket || existing.SourceBundle.S3Key !== input.key)) {
    throw nonRetryable(
      'BundleInvalid',
      `Application version ${input.versionLabel} already exists with another bundle (s3://${existing.SourceBundle.S3Bucket}/${existing.SourceBundle.S3Key}): start a new deploy, which picks a new label.`,
    );
  }
  // Waiting for Processed: the SDK has no waiter for application versions, so this loop is the
  // one layer that waits for the state (AWS errors of findVersion fail the attempt instead).
  for (let polls = 0; ; polls++) {
    const status = existing?.Status ?? 'Unknown';
    if (status === 'Processed' || status === 'Unprocessed') break;
    if (status === 'Failed') {
      const reason = await versionFailureReason(eb, application, input.versionLabel);
      throw nonRetryable('BundleInvalid', `Beanstalk could not process application version ${input.versionLabel}: ${reason} Fix the source bundle (Dockerrun.aws.json, .ebextensions) and deploy again.`);
    }
    await pause(Math.min(5000, 500 * 2 ** Math.min(polls, 4)), () => ({ versionLabel: input.versionLabel, status }));
    existing = await findVersion(eb, application, input.versionLabel);
  }
  log.info('application version ready', { versionLabel: input.versionLabel, reused, applicationCreated });
  return { versionLabel: input.versionLabel, reused, applicationCreated };
}

async function ensureApplication(eb: ElasticBeanstalkClient, application: string, site: string): Promise<boolean> {
  try {
    const apps = await eb.send(new DescribeApplicationsCommand({ ApplicationNames: [application] }));
    if ((apps.Applications ?? []).some((a) => a.ApplicationName === application)) return false;
    await eb.send(new CreateApplicationCommand({ ApplicationName: application, Description: `${site}, created by release-runbook`, Tags: [{ Key: 'runbook:site', Value: site }] }));
    log.info('created Beanstalk application', { application });
    return true;
  } catch (err) {
    if (/already exists/i.test((err as Error).message)) return false;
    rethrowAws(err, `Creating Beanstalk application ${application}`);
  }
}

async function findVersion(eb: ElasticBeanstalkClient, application: string, label: string): Promise<ApplicationVersionDescription | undefined> {
  try {
    const out = await eb.send(new DescribeApplicationVersionsCommand({ ApplicationName: application, VersionLabels: [label] }));
    return out.ApplicationVersions?.find((v) => v.VersionLabel === label);
  } catch (err) {
    if (isTransient(err)) throw err;
    rethrowAws(err, `Describing application version ${label}`);
  }
}

async function versionFailureReason(eb: ElasticBeanstalkClient, application: string, label: string): Promise<string> {
  try {
    const out = await eb.send(new DescribeEventsCommand({ ApplicationName: application, VersionLabel: label, Severity: 'WARN', MaxRecords: 5 }));
    const messages = (out.Events ?? []).map((e) => e.Message).filter(Boolean);
    return messages.length ? `${messages.join(' ')}` : 'no reason given in its events.';
  } catch (err) {
    return `(its events could not be read: ${describeAwsError(err)})`;
  }
}
