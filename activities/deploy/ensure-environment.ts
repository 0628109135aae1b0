import { CreateEnvironmentCommand, type ConfigurationOptionSetting } from '@aws-sdk/client-elastic-beanstalk';
import { log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { currentWorkflowId } from '../run-dir.js';
import { rethrowAws } from '../aws/errors.js';
import type { DeploySite, EnvironmentSnapshot } from './deploy-config.js';
import { findEnvironment, snapshotOf } from './describe-environment.js';
import { desiredSettings, launchSettings } from './environment-settings.js';

/** An input scheduled before env values left history carried them in the beanstalk section. */
function legacyEnvVars(site: DeploySite): Record<string, string> {
  const envVars = (site.beanstalk as { envVars?: Record<string, unknown> }).envVars ?? {};
  return Object.fromEntries(Object.entries(envVars).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

export interface CreateEnvironmentInput {
  site: DeploySite;
  versionLabel: string;
}

export interface CreatedEnvironment {
  requestedAt: number;
  created: boolean;
  environment: EnvironmentSnapshot;
}

/**
 * First deploy: CreateEnvironment with the platform, instance type and environment variables
 * from config (what `eb create --instance-type … --envvars …` does). A retry that finds the
 * environment already launching takes it instead of creating a second one.
 */
export async function createEnvironment(aws: AwsClientFactory, input: CreateEnvironmentInput): Promise<CreatedEnvironment> {
  const eb = aws(input.site.aws).beanstalk;
  const { application, environment, platform, instanceType } = input.site.beanstalk;
  const requestedAt = Date.now() - 1000;
  const existing = await findEnvironment(eb, application, environment).catch((err: unknown) => rethrowAws(err, `Describing ${environment}`));
  if (existing) {
    log.info('environment already exists (a retry); not creating another', { environment, status: existing.status });
    return { requestedAt, created: false, environment: existing };
  }
  // Env values are read here, on the worker, from the config on disk; secrets go in as ARNs.
  const desired = (await desiredSettings(aws, input.site)) ?? { plain: legacyEnvVars(input.site), secrets: {}, instanceType: instanceType ?? null };
  const options: ConfigurationOptionSetting[] = [
    // The instance profile `eb create` uses by default; without one the instances cannot start.
    { Namespace: 'aws:autoscaling:launchconfiguration', OptionName: 'IamInstanceProfile', Value: 'aws-elasticbeanstalk-ec2-role' },
    ...launchSettings(desired),
  ];
  try {
    const out = await eb.send(
      new CreateEnvironmentCommand({
        ApplicationName: application,
        EnvironmentName: environment,
        VersionLabel: input.versionLabel,
        ...(platform?.startsWith('arn:') ? { PlatformArn: platform } : { SolutionStackName: platform }),
        OptionSettings: options,
        Tags: [
          { Key: 'runbook:site', Value: input.site.site },
          { Key: 'runbook:workflow-id', Value: currentWorkflowId() },
        ],
      }),
    );
    log.info('environment creation requested', { environment, platform, instanceType });
    return { requestedAt, created: true, environment: snapshotOf(out) };
  } catch (err) {
    rethrowAws(err, `CreateEnvironment ${environment}`);
  }
}
