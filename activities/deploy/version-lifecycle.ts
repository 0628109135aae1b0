import {
  DeleteApplicationVersionCommand,
  DescribeApplicationsCommand,
  DescribeApplicationVersionsCommand,
  DescribeEnvironmentsCommand,
  UpdateApplicationResourceLifecycleCommand,
  type ApplicationVersionDescription,
  type ElasticBeanstalkClient,
} from '@aws-sdk/client-elastic-beanstalk';
import { log } from '@temporalio/activity';
import { awsErrorCode, rethrowAws } from '../aws/errors.js';

/** Beanstalk keeps this many versions of an application unless the config says otherwise (the manual runbook's "last 10"). */
export const DEFAULT_KEEP_VERSIONS = 10;

/**
 * Sets the application's version lifecycle (keep the newest `keep`, delete their bundles from
 * S3) once, when it has none: a rule a person set in the console is theirs and stays.
 */
export async function ensureVersionLifecycle(eb: ElasticBeanstalkClient, application: string, keep: number, serviceRoleArn: string): Promise<'set' | 'present'> {
  try {
    const out = await eb.send(new DescribeApplicationsCommand({ ApplicationNames: [application] }));
    const rules = out.Applications?.[0]?.ResourceLifecycleConfig?.VersionLifecycleConfig;
    if (rules?.MaxCountRule?.Enabled || rules?.MaxAgeRule?.Enabled) return 'present';
    await eb.send(
      new UpdateApplicationResourceLifecycleCommand({
        ApplicationName: application,
        ResourceLifecycleConfig: {
          // Beanstalk deletes old versions as this role; it is required the first time a rule is set.
          ServiceRole: serviceRoleArn,
          VersionLifecycleConfig: { MaxCountRule: { Enabled: true, MaxCount: keep, DeleteSourceFromS3: true } },
        },
      }),
    );
  } catch (err) {
    rethrowAws(err, `Setting the version lifecycle of Beanstalk application ${application}`);
  }
  log.info('set the application version lifecycle', { application, keep });
  return 'set';
}

/** Every version of the application, oldest first. */
export async function listVersions(eb: ElasticBeanstalkClient, application: string): Promise<ApplicationVersionDescription[]> {
  const versions: ApplicationVersionDescription[] = [];
  let token: string | undefined;
  do {
    const out = await eb.send(new DescribeApplicationVersionsCommand({ ApplicationName: application, MaxRecords: 100, NextToken: token }));
    versions.push(...(out.ApplicationVersions ?? []));
    token = out.NextToken;
  } while (token);
  return versions.sort((a, b) => (a.DateCreated?.getTime() ?? 0) - (b.DateCreated?.getTime() ?? 0));
}

/** Version labels live environments of the application run (or are moving to), which must stay. */
export async function versionsInUse(eb: ElasticBeanstalkClient, application: string): Promise<Set<string>> {
  const out = await eb.send(new DescribeEnvironmentsCommand({ ApplicationName: application, IncludeDeleted: false }));
  return new Set((out.Environments ?? []).filter((e) => e.Status !== 'Terminated').flatMap((e) => (e.VersionLabel ? [e.VersionLabel] : [])));
}

/**
 * Beanstalk counts the version quota before its lifecycle rule runs, so an application that
 * already holds `keep` versions must shed the oldest first or the new version is refused after
 * the build, the push and the approval. Never deletes a version an environment runs (the
 * rollback target among them) nor one named in `protect`; bundles go with their versions.
 */
export async function makeRoomForVersion(eb: ElasticBeanstalkClient, application: string, keep: number, protect: string[]): Promise<string[]> {
  const versions = await listVersions(eb, application);
  const inUse = await versionsInUse(eb, application);
  let excess = versions.length - (keep - 1);
  const deleted: string[] = [];
  for (const version of versions) {
    if (excess <= 0) break;
    const label = version.VersionLabel;
    if (!label || inUse.has(label) || protect.includes(label)) continue;
    try {
      await eb.send(new DeleteApplicationVersionCommand({ ApplicationName: application, VersionLabel: label, DeleteSourceBundle: true }));
    } catch (err) {
      // The version went, only its bundle stayed: the post-deploy sweep removes stray bundles.
      if (awsErrorCode(err) !== 'SourceBundleDeletionFailure') rethrowAws(err, `Deleting old application version ${label}`);
    }
    deleted.push(label);
    excess--;
  }
  if (deleted.length) log.info('deleted old application versions to stay within the kept count', { application, keep, deleted });
  return deleted;
}
