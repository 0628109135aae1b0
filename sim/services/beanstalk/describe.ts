import { ACCOUNT_ID } from '../../ids.js';
import { regional } from '../../regions.js';
import { platformArn, platformByArn, platformByStack } from './platforms-catalogue.js';
import type { SimContext } from '../../context.js';
import type { EbApplication, EbEnvironment, EbVersion } from '../../state.js';

// Resources as Beanstalk's Describe* calls render them.

export const appArn = (ctx: SimContext, name: string): string => `arn:aws:elasticbeanstalk:${ctx.region}:${ACCOUNT_ID}:application/${name}`;
export const envArn = (ctx: SimContext, env: EbEnvironment): string =>
  `arn:aws:elasticbeanstalk:${ctx.region}:${ACCOUNT_ID}:environment/${env.applicationName}/${env.environmentName}`;

export function describeApp(ctx: SimContext, app: EbApplication): Record<string, unknown> {
  const versions = regional(ctx).eb.versions.filter((v) => v.applicationName === app.name).sort((a, b) => b.createdAt - a.createdAt);
  return {
    ApplicationArn: appArn(ctx, app.name),
    ApplicationName: app.name,
    Description: app.description,
    DateCreated: new Date(app.createdAt),
    DateUpdated: new Date(app.updatedAt),
    Versions: versions.map((v) => v.versionLabel),
    ConfigurationTemplates: [],
    ResourceLifecycleConfig: {
      ServiceRole: app.serviceRole,
      VersionLifecycleConfig: {
        MaxCountRule: { Enabled: app.maxVersionCount !== undefined, MaxCount: app.maxVersionCount ?? 200, DeleteSourceFromS3: app.deleteSourceFromS3 ?? false },
        MaxAgeRule: { Enabled: false, MaxAgeInDays: 180, DeleteSourceFromS3: false },
      },
    },
  };
}

export function describeVersion(ctx: SimContext, v: EbVersion): Record<string, unknown> {
  return {
    ApplicationVersionArn: `arn:aws:elasticbeanstalk:${ctx.region}:${ACCOUNT_ID}:applicationversion/${v.applicationName}/${v.versionLabel}`,
    ApplicationName: v.applicationName,
    Description: v.description,
    VersionLabel: v.versionLabel,
    SourceBundle: v.sourceBundle,
    DateCreated: new Date(v.createdAt),
    DateUpdated: new Date(v.processedAt ?? v.createdAt),
    Status: v.status,
  };
}

/** The platform an environment runs, whichever way it was named on create. */
export function environmentPlatform(ctx: SimContext, env: EbEnvironment): { stack?: string; arn?: string } {
  const platform = (env.platformArn ? platformByArn(ctx.region, env.platformArn) : undefined)
    ?? (env.solutionStackName ? platformByStack(env.solutionStackName) : undefined);
  if (!platform) return { stack: env.solutionStackName, arn: env.platformArn };
  return { stack: platform.solutionStack, arn: platformArn(ctx.region, platform) };
}

/** The DNS name AWS gives an environment (CheckDNSAvailability's FullyQualifiedCNAME). */
export const regionalCname = (region: string, prefix: string): string => `${prefix}.${region}.elasticbeanstalk.com`;

export function describeEnv(ctx: SimContext, env: EbEnvironment): Record<string, unknown> {
  // The CNAME is AWS's regional name, which resolves nowhere; the environment is served on
  // EndpointURL, its listener's loopback host:port (where AWS puts the load balancer's name).
  const endpoint = `127.0.0.1:${env.port}`;
  const platform = environmentPlatform(ctx, env);
  return {
    EnvironmentName: env.environmentName,
    EnvironmentId: env.environmentId,
    ApplicationName: env.applicationName,
    VersionLabel: env.versionLabel,
    SolutionStackName: platform.stack,
    PlatformArn: platform.arn,
    Description: env.description,
    EndpointURL: endpoint,
    CNAME: regionalCname(ctx.region, env.cnamePrefix ?? env.environmentName),
    DateCreated: new Date(env.createdAt),
    DateUpdated: new Date(env.updatedAt),
    Status: env.status,
    AbortableOperationInProgress: env.status === 'Updating' && env.pending?.kind === 'update',
    Health: env.health,
    HealthStatus: env.healthStatus,
    Tier: env.tier,
    EnvironmentLinks: [],
    EnvironmentArn: envArn(ctx, env),
  };
}
