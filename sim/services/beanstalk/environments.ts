import { AwsError } from '../../errors.js';
import { ACCOUNT_ID, hex, newEnvironmentId } from '../../ids.js';
import { now } from '../../clock.js';
import { paginate } from '../../pagination.js';
import { regional } from '../../regions.js';
import { begin, envEvent } from './state-machine.js';
import { describeEnv, regionalCname } from './describe.js';
import { findEnv, getApp, getVersion, invalid, invalidToken, maxRecords, mustBeReady } from './lookup.js';
import { mergeSettings, parseOptionSettings, parseOptionsToRemove } from './option-settings.js';
import { join } from 'node:path';
import { platformByArn, platformByStack } from './platforms-catalogue.js';
import { deployVerdict, type DeployVerdict } from '../source-bundle.js';
import type { QueryHandler } from '../../protocols/types.js';
import type { SimContext } from '../../context.js';
import type { EbEnvironment } from '../../state.js';

const ENV_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{2,38}[A-Za-z0-9]$/;
const CNAME_PREFIX = /^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/;

const cnameTaken = (ctx: SimContext, prefix: string): boolean =>
  Object.values(regional(ctx).eb.environments).some((e) => e.status !== 'Terminated' && (e.cnamePrefix ?? e.environmentName) === prefix);

const instanceId = (env: EbEnvironment): string => `i-${Buffer.from(env.environmentId).toString('hex').slice(0, 17).padEnd(17, '0')}`;

function instancesHealth(env: EbEnvironment): Record<string, number> {
  const counts = { NoData: 0, Unknown: 0, Pending: 0, Ok: 0, Info: 0, Warning: 0, Degraded: 0, Severe: 0 };
  if (env.health === 'Red') counts.Severe = 1;
  else if (env.status === 'Launching') counts.Pending = 1;
  else if (env.healthStatus === 'Info') counts.Info = 1;
  else if (env.health === 'Green') counts.Ok = 1;
  else counts.Unknown = 1;
  return counts;
}

function applicationMetrics(env: EbEnvironment): Record<string, unknown> {
  const healthy = env.health !== 'Red';
  return {
    Duration: 10,
    RequestCount: healthy ? 120 : 40,
    StatusCodes: healthy ? { Status2xx: 120, Status3xx: 0, Status4xx: 0, Status5xx: 0 } : { Status2xx: 0, Status3xx: 0, Status4xx: 0, Status5xx: 40 },
    Latency: { P999: 0.05, P99: 0.02, P95: 0.01, P90: 0.008, P85: 0.006, P75: 0.004, P50: 0.002, P10: 0.001 },
  };
}

/** What the environment's platform makes of the version's bundle, read from the bundle in S3. */
async function verdictFor(ctx: SimContext, env: EbEnvironment, label: string): Promise<DeployVerdict> {
  const bundle = getVersion(ctx, env.applicationName, label).sourceBundle;
  const obj = bundle ? ctx.store.state.s3.buckets[bundle.S3Bucket]?.objects[bundle.S3Key] : undefined;
  const file = bundle && obj ? join(ctx.stateDir, 's3', bundle.S3Bucket, obj.file) : undefined;
  const platform = env.platformArn ? platformByArn(ctx.region, env.platformArn) : env.solutionStackName ? platformByStack(env.solutionStackName) : undefined;
  return deployVerdict(file, platform?.language);
}

export const environmentHandlers: Record<string, QueryHandler> = {
  async CreateEnvironment(input, ctx) {
    const appName = input.str('ApplicationName');
    const name = input.str('EnvironmentName');
    getApp(ctx, appName);
    if (!ENV_NAME.test(name)) {
      throw invalid(`Value ${name} at 'EnvironmentName' failed to satisfy constraint: Member must be 4 to 40 characters of letters, digits and hyphens, not starting or ending with a hyphen.`);
    }
    const eb = regional(ctx).eb;
    if (Object.values(eb.environments).some((e) => e.environmentName === name && e.status !== 'Terminated')) {
      throw invalid(`Environment ${name} already exists.`);
    }
    const label = input.optStr('VersionLabel');
    if (label !== undefined) {
      const v = getVersion(ctx, appName, label);
      if (v.status === 'Failed') throw invalid(`Application version ${label} failed processing and cannot be deployed.`);
    }
    const stack = input.optStr('SolutionStackName');
    const arn = input.optStr('PlatformArn');
    if (stack === undefined && arn === undefined && input.optStr('TemplateName') === undefined) {
      throw invalid('No platform specified: provide SolutionStackName, PlatformArn or TemplateName.');
    }
    if (stack !== undefined && !platformByStack(stack)) throw invalid(`No Solution Stack named '${stack}' found.`);
    if (arn !== undefined && !platformByArn(ctx.region, arn)) throw invalid(`No Platform named '${arn}' found.`);
    const cnamePrefix = input.optStr('CNAMEPrefix');
    if (cnamePrefix !== undefined && (!CNAME_PREFIX.test(cnamePrefix) || cnameTaken(ctx, cnamePrefix))) {
      throw invalid(`DNS name (${regionalCname(ctx.region, cnamePrefix)}) is not available.`);
    }
    const optionSettings = parseOptionSettings(input);
    const tier = input.optObj('Tier');
    const at = now();
    const env: EbEnvironment = {
      environmentId: newEnvironmentId(), environmentName: name, applicationName: appName, versionLabel: label,
      solutionStackName: stack, platformArn: arn, description: input.optStr('Description'),
      tier: { Name: tier?.optStr('Name') ?? 'WebServer', Type: tier?.optStr('Type') ?? 'Standard', Version: tier?.optStr('Version') ?? '1.0' },
      status: 'Launching', health: 'Grey', healthStatus: 'Pending', causes: [], createdAt: at, updatedAt: at, port: 0,
      tags: input.tags() ?? [], optionSettings: [], cnamePrefix: cnamePrefix ?? name,
    };
    mergeSettings(env, optionSettings);
    eb.environments[env.environmentId] = env;
    env.port = await ctx.hooks.ensureEnvironmentListener(env.environmentId);
    begin(ctx, env, 'launch');
    if (env.pending && label !== undefined) env.pending.verdict = await verdictFor(ctx, env, label);
    envEvent(ctx, env, at, 'createEnvironment is starting.');
    envEvent(ctx, env, at, `Using elasticbeanstalk-${ctx.region}-${ACCOUNT_ID} as Amazon S3 storage bucket for environment data.`);
    envEvent(ctx, env, at, 'Environment health has transitioned to Pending. Initialization in progress (running for 0 seconds). There are no instances.');
    return describeEnv(ctx, env);
  },

  DescribeEnvironments(input, ctx) {
    const appName = input.optStr('ApplicationName');
    const label = input.optStr('VersionLabel');
    const ids = input.optStrList('EnvironmentIds');
    const names = input.optStrList('EnvironmentNames');
    const includeDeleted = input.optBool('IncludeDeleted') ?? true;
    const envs = Object.values(regional(ctx).eb.environments)
      .filter((e) => (appName === undefined || e.applicationName === appName) && (label === undefined || e.versionLabel === label)
        && (!ids || ids.includes(e.environmentId)) && (!names || names.includes(e.environmentName))
        && (includeDeleted || e.status !== 'Terminated'))
      .sort((a, b) => a.createdAt - b.createdAt);
    const { page, next } = paginate(envs, maxRecords(input, 1000), input.optStr('NextToken'), invalidToken);
    return { Environments: page.map((e) => describeEnv(ctx, e)), NextToken: next };
  },

  async UpdateEnvironment(input, ctx) {
    const env = findEnv(ctx, input);
    mustBeReady(env);
    const label = input.optStr('VersionLabel');
    const description = input.optStr('Description');
    const settings = parseOptionSettings(input);
    const removals = parseOptionsToRemove(input);
    if (description !== undefined) env.description = description;
    const at = now();
    if (label !== undefined) {
      const v = getVersion(ctx, env.applicationName, label);
      if (v.status === 'Failed') throw invalid(`Application version ${label} failed processing and cannot be deployed.`);
      if (v.status === 'Processing') throw invalid(`Application version ${label} is still being processed.`);
      const fired = ctx.faults.fire('elasticbeanstalk', 'UpdateEnvironment', (s) => s.nextDeployRed !== undefined
        && s.nextDeployRed.environmentName === env.environmentName
        && (s.nextDeployRed.versionLabel === undefined || s.nextDeployRed.versionLabel === label));
      const verdict = await verdictFor(ctx, env, label);
      begin(ctx, env, 'update', { toVersion: label, goesRed: fired.length > 0 });
      if (env.pending) env.pending.verdict = verdict;
      env.versionLabel = label;
    } else {
      begin(ctx, env, 'update', { toVersion: env.versionLabel, goesRed: false });
    }
    mergeSettings(env, settings, removals);
    env.status = 'Updating';
    env.health = 'Grey';
    if (env.healthStatus === 'Ok') {
      envEvent(ctx, env, at, 'Environment health has transitioned from Ok to Info. Application update in progress on 1 instance. 0 out of 1 instance completed (running for 0 seconds).');
    }
    env.healthStatus = 'Info';
    envEvent(ctx, env, at, 'Environment update is starting.');
    if (label !== undefined) envEvent(ctx, env, at, 'Deploying new version to instance(s).');
    return describeEnv(ctx, env);
  },

  RestartAppServer(input, ctx) {
    const env = findEnv(ctx, input);
    mustBeReady(env);
    begin(ctx, env, 'restart', { toVersion: env.versionLabel, goesRed: false });
    env.status = 'Updating';
    envEvent(ctx, env, now(), 'restartAppServer is starting.');
    return {};
  },

  AbortEnvironmentUpdate(input, ctx) {
    const env = findEnv(ctx, input);
    if (env.status !== 'Updating' || env.pending?.kind !== 'update') {
      throw invalid(`Environment named ${env.environmentName} is in an invalid state for this operation. Must be Updating.`);
    }
    begin(ctx, env, 'abort', { fromVersion: env.pending.fromVersion });
    env.status = 'Aborting';
    envEvent(ctx, env, now(), 'Received request to abort environment update.');
    return {};
  },

  TerminateEnvironment(input, ctx) {
    const env = findEnv(ctx, input);
    mustBeReady(env);
    begin(ctx, env, 'terminate');
    env.status = 'Terminating';
    envEvent(ctx, env, now(), 'terminateEnvironment is starting.');
    return describeEnv(ctx, env);
  },

  DescribeEnvironmentHealth(input, ctx) {
    const env = findEnv(ctx, input);
    return {
      EnvironmentName: env.environmentName,
      HealthStatus: env.healthStatus,
      Status: env.status,
      Color: env.health,
      Causes: env.causes,
      ApplicationMetrics: applicationMetrics(env),
      InstancesHealth: instancesHealth(env),
      RefreshedAt: new Date(),
    };
  },

  DescribeInstancesHealth(input, ctx) {
    const env = findEnv(ctx, input);
    if (env.status === 'Launching') return { InstanceHealthList: [], RefreshedAt: new Date() };
    return {
      InstanceHealthList: [{
        InstanceId: instanceId(env),
        HealthStatus: env.healthStatus,
        Color: env.health,
        Causes: env.causes,
        LaunchedAt: new Date(env.createdAt),
        ApplicationMetrics: applicationMetrics(env),
        System: { CPUUtilization: { User: 2, Nice: 0, System: 1, Idle: 97, IOWait: 0, IRQ: 0, SoftIRQ: 0 }, LoadAverage: [0.01, 0.02, 0.0] },
        Deployment: { VersionLabel: env.versionLabel, DeploymentId: 1, Status: env.pending ? 'InProgress' : 'Deployed', DeploymentTime: new Date(env.updatedAt) },
        AvailabilityZone: `${ctx.region}a`,
        InstanceType: 't3.micro',
      }],
      RefreshedAt: new Date(),
    };
  },

  DescribeEnvironmentResources(input, ctx) {
    const env = findEnv(ctx, input);
    const stack = `awseb-${env.environmentId}-stack`;
    return {
      EnvironmentResources: {
        EnvironmentName: env.environmentName,
        AutoScalingGroups: [{ Name: `${stack}-AWSEBAutoScalingGroup-${hex(12).toUpperCase()}` }],
        Instances: env.status === 'Launching' ? [] : [{ Id: instanceId(env) }],
        LaunchConfigurations: [],
        LaunchTemplates: [{ Id: `lt-${hex(17)}` }],
        LoadBalancers: [],
        Triggers: [],
        Queues: [],
      },
    };
  },

  CheckDNSAvailability(input, ctx) {
    const prefix = input.str('CNAMEPrefix');
    if (!CNAME_PREFIX.test(prefix)) throw new AwsError('InvalidParameterValue', `Invalid CNAMEPrefix: ${prefix}`);
    return { Available: !cnameTaken(ctx, prefix), FullyQualifiedCNAME: regionalCname(ctx.region, prefix) };
  },
};
