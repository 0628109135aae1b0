import { DescribeEnvironmentsCommand, type EnvironmentDescription } from '@aws-sdk/client-elastic-beanstalk';
import type { ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import type { AwsTarget } from '../aws/clients.js';
import type { EnvironmentSnapshot } from './deploy-config.js';

export function snapshotOf(env: EnvironmentDescription): EnvironmentSnapshot {
  return {
    name: env.EnvironmentName ?? '',
    id: env.EnvironmentId ?? '',
    application: env.ApplicationName ?? '',
    status: env.Status ?? 'Unknown',
    health: env.Health ?? 'Grey',
    versionLabel: env.VersionLabel ?? null,
    cname: env.CNAME ?? null,
    endpointUrl: env.EndpointURL ?? null,
    abortable: env.AbortableOperationInProgress ?? false,
    platform: env.SolutionStackName ?? env.PlatformArn ?? null,
  };
}

/**
 * Where the site is smoke-checked: its CNAME on AWS; on the sim (an aws.endpoint) the CNAME is
 * AWS's regional name that resolves nowhere, and the environment is served on its EndpointURL.
 */
export function smokeHost(aws: AwsTarget, env: Pick<EnvironmentSnapshot, 'cname' | 'endpointUrl'>): string | null {
  return aws.endpoint ? env.endpointUrl : env.cname;
}

/** The live (not terminated) environment of that name in the application, if any. */
export async function findEnvironment(client: ElasticBeanstalkClient, application: string, environment: string): Promise<EnvironmentSnapshot | undefined> {
  const out = await client.send(
    new DescribeEnvironmentsCommand({ ApplicationName: application, EnvironmentNames: [environment], IncludeDeleted: false }),
  );
  const live = (out.Environments ?? []).find((e) => e.Status !== 'Terminated' && e.Status !== 'Terminating');
  return live ? snapshotOf(live) : undefined;
}

/** Every live environment of an application, for an error that names what does exist. */
export async function liveEnvironments(client: ElasticBeanstalkClient, application: string): Promise<string[]> {
  const out = await client.send(new DescribeEnvironmentsCommand({ ApplicationName: application, IncludeDeleted: false }));
  return (out.Environments ?? []).filter((e) => e.Status !== 'Terminated').map((e) => e.EnvironmentName ?? '');
}
