import { regional } from '../../regions.js';
import { environmentPlatform } from './describe.js';
import { getApp, invalid } from './lookup.js';
import { DEFAULT_SETTINGS, ENV_SECRETS, ENV_VARS, effectiveSettings } from './option-settings.js';
import { platformArn, platformByStack, PLATFORMS } from './platforms-catalogue.js';
import type { QueryHandler } from '../../protocols/types.js';

export const configurationHandlers: Record<string, QueryHandler> = {
  DescribeConfigurationSettings(input, ctx) {
    const appName = input.str('ApplicationName');
    getApp(ctx, appName);
    const envName = input.optStr('EnvironmentName');
    if (envName === undefined) {
      if (input.optStr('TemplateName') !== undefined) throw invalid(`No Configuration Template named '${appName}/${input.optStr('TemplateName')}' found.`);
      throw input.dialect.missing('EnvironmentName');
    }
    const env = Object.values(regional(ctx).eb.environments)
      .find((e) => e.applicationName === appName && e.environmentName === envName && e.status !== 'Terminated');
    if (!env) throw invalid(`No Environment found for EnvironmentName = '${envName}'.`);
    const platform = environmentPlatform(ctx, env);
    return {
      ConfigurationSettings: [{
        SolutionStackName: platform.stack,
        PlatformArn: platform.arn,
        ApplicationName: env.applicationName,
        EnvironmentName: env.environmentName,
        Description: env.description,
        // Not in botocore's public model, but in the eb CLI's own, which reads it (`eb health`).
        Tier: env.tier,
        DeploymentStatus: env.pending ? 'pending' : 'deployed',
        DateCreated: new Date(env.createdAt),
        DateUpdated: new Date(env.updatedAt),
        OptionSettings: effectiveSettings(env),
      }],
    };
  },

  DescribeConfigurationOptions(input, ctx) {
    const stack = input.optStr('SolutionStackName');
    const arn = input.optStr('PlatformArn');
    const appName = input.optStr('ApplicationName');
    const envName = input.optStr('EnvironmentName');
    let platform = stack !== undefined ? platformByStack(stack) : PLATFORMS.find((p) => platformArn(ctx.region, p) === arn);
    if (envName !== undefined && appName !== undefined) {
      const env = Object.values(regional(ctx).eb.environments).find((e) => e.applicationName === appName && e.environmentName === envName && e.status !== 'Terminated');
      if (!env) throw invalid(`No Environment found for EnvironmentName = '${envName}'.`);
      platform = platformByStack(environmentPlatform(ctx, env).stack ?? '');
    }
    if ((stack !== undefined || arn !== undefined) && !platform) throw invalid(`No Solution Stack named '${stack ?? arn}' found.`);
    const describe = (namespace: string, name: string, defaultValue: string, valueType = 'Scalar') =>
      ({ Namespace: namespace, Name: name, DefaultValue: defaultValue, ChangeSeverity: 'RestartEnvironment', UserDefined: false, ValueType: valueType });
    return {
      SolutionStackName: platform?.solutionStack,
      PlatformArn: platform ? platformArn(ctx.region, platform) : undefined,
      Options: [
        ...DEFAULT_SETTINGS.map((d) => describe(d.Namespace, d.OptionName, d.Value)),
        { ...describe(ENV_VARS, 'PARAM', ''), UserDefined: true, ChangeSeverity: 'RestartApplicationServer' },
        { ...describe(ENV_SECRETS, 'SECRET', ''), UserDefined: true, ChangeSeverity: 'RestartApplicationServer' },
      ],
    };
  },
};
