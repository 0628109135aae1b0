import { invalid } from './lookup.js';
import type { Input } from '../../protocols/input.js';
import type { EbEnvironment, EbOptionSetting } from '../../state.js';

// Option settings are stored as given (create, then each update merged in) and read back
// through DescribeConfigurationSettings, on top of the defaults Beanstalk fills in itself.

export const ENV_VARS = 'aws:elasticbeanstalk:application:environment';
export const ENV_SECRETS = 'aws:elasticbeanstalk:application:environmentsecrets';

/** What a single-instance environment reports when nobody set an option. */
export const DEFAULT_SETTINGS: EbOptionSetting[] = [
  { Namespace: 'aws:autoscaling:launchconfiguration', OptionName: 'InstanceType', Value: 't3.micro' },
  { Namespace: 'aws:autoscaling:launchconfiguration', OptionName: 'IamInstanceProfile', Value: 'aws-elasticbeanstalk-ec2-role' },
  { Namespace: 'aws:elasticbeanstalk:environment', OptionName: 'EnvironmentType', Value: 'SingleInstance' },
  { Namespace: 'aws:elasticbeanstalk:environment', OptionName: 'ServiceRole', Value: 'aws-elasticbeanstalk-service-role' },
  { Namespace: 'aws:elasticbeanstalk:environment', OptionName: 'LoadBalancerType', Value: 'application' },
  { Namespace: 'aws:elasticbeanstalk:environment', OptionName: 'LoadBalancerIsShared', Value: 'false' },
  { Namespace: 'aws:elasticbeanstalk:healthreporting:system', OptionName: 'SystemType', Value: 'enhanced' },
  { Namespace: 'aws:elasticbeanstalk:command', OptionName: 'DeploymentPolicy', Value: 'AllAtOnce' },
  { Namespace: 'aws:elasticbeanstalk:command', OptionName: 'Timeout', Value: '600' },
  { Namespace: 'aws:elasticbeanstalk:cloudwatch:logs', OptionName: 'StreamLogs', Value: 'false' },
  { Namespace: 'aws:elasticbeanstalk:application', OptionName: 'Application Healthcheck URL', Value: '' },
  { Namespace: 'aws:elasticbeanstalk:environment:process:default', OptionName: 'Port', Value: '80' },
];

const sameOption = (a: { Namespace: string; OptionName: string; ResourceName?: string }, b: typeof a): boolean =>
  a.Namespace === b.Namespace && a.OptionName === b.OptionName && (a.ResourceName ?? '') === (b.ResourceName ?? '');

export function parseOptionSettings(input: Input, name = 'OptionSettings'): EbOptionSetting[] {
  return (input.optObjList(name) ?? []).map((o) => {
    const setting: EbOptionSetting = { Namespace: o.str('Namespace'), OptionName: o.str('OptionName'), Value: o.optStr('Value') ?? '' };
    const resource = o.optStr('ResourceName');
    if (resource !== undefined) setting.ResourceName = resource;
    if (setting.Namespace === ENV_SECRETS && !/^arn:aws:(secretsmanager|ssm):/.test(setting.Value)) {
      throw invalid(`Environment secret ${setting.OptionName} must be the ARN of a Secrets Manager secret or an SSM parameter, not a value.`);
    }
    return setting;
  });
}

export function parseOptionsToRemove(input: Input): { Namespace: string; OptionName: string; ResourceName?: string }[] {
  return (input.optObjList('OptionsToRemove') ?? []).map((o) => ({
    Namespace: o.str('Namespace'), OptionName: o.str('OptionName'), ResourceName: o.optStr('ResourceName'),
  }));
}

/** Applies an update's settings and removals to what the environment stored. */
export function mergeSettings(env: EbEnvironment, set: EbOptionSetting[], remove: { Namespace: string; OptionName: string; ResourceName?: string }[] = []): void {
  let stored = (env.optionSettings ?? []).filter((s) => !remove.some((r) => sameOption(s, r)));
  for (const setting of set) stored = [...stored.filter((s) => !sameOption(s, setting)), setting];
  env.optionSettings = stored;
}

/** Defaults overlaid with the stored settings, as DescribeConfigurationSettings answers. */
export function effectiveSettings(env: EbEnvironment): EbOptionSetting[] {
  const stored = env.optionSettings ?? [];
  return [...DEFAULT_SETTINGS.filter((d) => !stored.some((s) => sameOption(s, d))), ...stored];
}
