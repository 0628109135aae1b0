import { join } from 'node:path';
import { AwsError } from '../errors.js';
import { ACCOUNT_ID, newEnvironmentId } from '../ids.js';
import { now } from '../clock.js';
import { paginate } from '../pagination.js';
import { checkDockerBundle } from './source-bundle.js';
import type { Input } from '../protocols/input.js';
import type { QueryService } from '../server.js';
import type { SimContext } from '../context.js';
import type { EbApplication, EbEnvironment, EbEvent, EbOptionSetting, EbPendingOperation, EbVersion } from '../state.js';

const invalid = (message: string): AwsError => new AwsError('InvalidParameterValue', message);
const SEVERITIES: EbEvent['severity'][] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'];
const MAX_EVENTS = 5000;
const SEVERE_CAUSES = ['ELB processes are not healthy on all instances.', 'ELB health is failing or not available for all instances.'];

type Ctx = SimContext;

function addEvent(ctx: Ctx, at: number, message: string, fields: { app: string; env?: string; version?: string; severity?: EbEvent['severity'] }): void {
  const eb = ctx.store.state.eb;
  eb.eventSeq += 1;
  eb.events.push({
    eventDate: at, message, applicationName: fields.app, environmentName: fields.env, versionLabel: fields.version,
    severity: fields.severity ?? 'INFO', seq: eb.eventSeq,
  });
  if (eb.events.length > MAX_EVENTS) eb.events.splice(0, eb.events.length - MAX_EVENTS);
}

const envEvent = (ctx: Ctx, env: EbEnvironment, at: number, message: string, severity: EbEvent['severity'] = 'INFO'): void =>
  addEvent(ctx, at, message, { app: env.applicationName, env: env.environmentName, severity });

const appArn = (ctx: Ctx, name: string): string => `arn:aws:elasticbeanstalk:${ctx.region}:${ACCOUNT_ID}:application/${name}`;

function getApp(ctx: Ctx, name: string): EbApplication {
  const app = ctx.store.state.eb.applications[name];
  if (!app) throw invalid(`No Application named '${name}' found.`);
  return app;
}

function getVersion(ctx: Ctx, app: string, label: string): EbVersion {
  const v = ctx.store.state.eb.versions.find((x) => x.applicationName === app && x.versionLabel === label);
  if (!v) throw invalid(`No Application Version named '${label}' found.`);
  return v;
}

function findEnv(ctx: Ctx, input: Input): EbEnvironment {
  const id = input.optStr('EnvironmentId');
  const name = input.optStr('EnvironmentName');
  if (id === undefined && name === undefined) throw new AwsError('MissingParameter', 'You must specify either EnvironmentId or EnvironmentName.');
  const env = Object.values(ctx.store.state.eb.environments).find((e) =>
    e.status !== 'Terminated' && (id === undefined || e.environmentId === id) && (name === undefined || e.environmentName === name));
  if (!env) {
    throw invalid(id !== undefined ? `No Environment found for EnvironmentId = '${id}'.` : `No Environment found for EnvironmentName = '${name}'.`);
  }
  return env;
}

function mustBeReady(env: EbEnvironment): void {
  if (env.status !== 'Ready') {
    throw invalid(`Environment named ${env.environmentName} is in an invalid state for this operation. Must be Ready.`);
  }
}

function describeApp(ctx: Ctx, app: EbApplication): Record<string, unknown> {
  const versions = ctx.store.state.eb.versions.filter((v) => v.applicationName === app.name).sort((a, b) => b.createdAt - a.createdAt);
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

function describeVersion(ctx: Ctx, v: EbVersion): Record<string, unknown> {
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

function describeEnv(ctx: Ctx, env: EbEnvironment): Record<string, unknown> {
  const endpoint = `127.0.0.1:${env.port}`;
  return {
    EnvironmentName: env.environmentName,
    EnvironmentId: env.environmentId,
    ApplicationName: env.applicationName,
    VersionLabel: env.versionLabel,
    SolutionStackName: env.solutionStackName,
    PlatformArn: env.platformArn,
    Description: env.description,
    // DNS cannot point at a loopback port, so the CNAME is the listener's host:port itself.
    EndpointURL: endpoint,
    CNAME: endpoint,
    DateCreated: new Date(env.createdAt),
    DateUpdated: new Date(env.updatedAt),
    Status: env.status,
    AbortableOperationInProgress: env.status === 'Updating' && env.pending?.kind === 'update',
    Health: env.health,
    HealthStatus: env.healthStatus,
    Tier: env.tier,
    EnvironmentLinks: [],
    EnvironmentArn: `arn:aws:elasticbeanstalk:${ctx.region}:${ACCOUNT_ID}:environment/${env.applicationName}/${env.environmentName}`,
  };
}

function parseLifecycle(input: Input, app: EbApplication): void {
  const cfg = input.optObj('ResourceLifecycleConfig');
  if (!cfg) return;
  app.serviceRole = cfg.optStr('ServiceRole') ?? app.serviceRole;
  const rule = cfg.optObj('VersionLifecycleConfig')?.optObj('MaxCountRule');
  if (!rule) return;
  const enabled = rule.optBool('Enabled');
  if (enabled === undefined) throw input.dialect.missing('ResourceLifecycleConfig.VersionLifecycleConfig.MaxCountRule.Enabled');
  if (enabled) {
    const max = rule.optInt('MaxCount') ?? 200;
    if (max < 1 || max > 1000) throw invalid('MaxCount must be between 1 and 1000.');
    app.maxVersionCount = max;
    app.deleteSourceFromS3 = rule.optBool('DeleteSourceFromS3') ?? false;
  } else {
    delete app.maxVersionCount;
  }
}

/** Keeps an application's version count under its MaxCountRule, oldest unused first. */
function applyVersionCap(ctx: Ctx, app: EbApplication): void {
  if (app.maxVersionCount === undefined) return;
  const eb = ctx.store.state.eb;
  const inUse = new Set(Object.values(eb.environments).filter((e) => e.applicationName === app.name && e.status !== 'Terminated')
    .flatMap((e) => [e.versionLabel, e.pending?.toVersion, e.pending?.fromVersion]));
  const versions = eb.versions.filter((v) => v.applicationName === app.name).sort((a, b) => a.createdAt - b.createdAt);
  let excess = versions.length - app.maxVersionCount;
  for (const v of versions) {
    if (excess <= 0) break;
    if (inUse.has(v.versionLabel)) continue;
    eb.versions = eb.versions.filter((x) => x !== v);
    if (app.deleteSourceFromS3 && v.sourceBundle) {
      delete ctx.store.state.s3.buckets[v.sourceBundle.S3Bucket]?.objects[v.sourceBundle.S3Key];
    }
    excess--;
  }
}

function completePending(ctx: Ctx, env: EbEnvironment): void {
  const op = env.pending;
  if (!op) return;
  const at = op.until;
  delete env.pending;
  env.updatedAt = at;
  const took = Math.max(1, Math.round((op.until - op.startedAt) / 1000));
  switch (op.kind) {
    case 'launch':
      env.status = 'Ready';
      env.health = 'Green';
      env.healthStatus = 'Ok';
      envEvent(ctx, env, at, `Environment health has transitioned from Pending to Ok. Initialization completed 1 seconds ago and took ${took} seconds.`);
      envEvent(ctx, env, at, `Successfully launched environment: ${env.environmentName}`);
      break;
    case 'update': {
      env.status = 'Ready';
      envEvent(ctx, env, at, 'New application version was deployed to running EC2 instances.');
      envEvent(ctx, env, at, 'Environment update completed successfully.');
      const before = env.healthStatus === 'Info' ? 'Info' : env.healthStatus;
      if (op.goesRed) {
        env.health = 'Red';
        env.healthStatus = 'Severe';
        env.causes = [...SEVERE_CAUSES];
        envEvent(ctx, env, at, `Environment health has transitioned from ${before} to Severe. ${SEVERE_CAUSES.join(' ')}`, 'WARN');
      } else {
        env.health = 'Green';
        env.healthStatus = 'Ok';
        env.causes = [];
        envEvent(ctx, env, at, `Environment health has transitioned from ${before} to Ok. Application update completed 1 seconds ago and took ${took} seconds.`);
      }
      break;
    }
    case 'restart':
      env.status = 'Ready';
      envEvent(ctx, env, at, 'restartAppServer completed successfully.');
      break;
    case 'abort':
      env.status = 'Ready';
      env.versionLabel = op.fromVersion;
      env.health = 'Green';
      env.healthStatus = 'Ok';
      env.causes = [];
      envEvent(ctx, env, at, 'Environment update was aborted.');
      envEvent(ctx, env, at, 'During an aborted deployment, some instances may have deployed the new application version. To ensure all instances are running the same version, re-deploy the appropriate application version.', 'WARN');
      break;
    case 'terminate':
      env.status = 'Terminated';
      env.health = 'Grey';
      env.healthStatus = 'Unknown';
      envEvent(ctx, env, at, 'terminateEnvironment completed successfully.');
      void ctx.hooks.closeEnvironmentListener(env.environmentId);
      break;
  }
}

/** Finishes deployments, launches and version processing whose time has come. */
export function advanceBeanstalk(ctx: Ctx, at: number): void {
  const eb = ctx.store.state.eb;
  for (const env of Object.values(eb.environments)) {
    if (env.pending && at >= env.pending.until) completePending(ctx, env);
  }
  for (const v of eb.versions) {
    if (v.status === 'Processing' && v.processedAt !== undefined && at >= v.processedAt) {
      v.status = v.processOutcome ?? 'Processed';
      delete v.processOutcome;
    }
  }
}

function begin(ctx: Ctx, env: EbEnvironment, kind: EbPendingOperation['kind'], extra: { toVersion?: string; fromVersion?: string; goesRed?: boolean } = {}): void {
  const at = now();
  env.pending = {
    kind, startedAt: at, until: at + ctx.timings.beanstalkUpdateMs, toVersion: extra.toVersion,
    fromVersion: extra.fromVersion ?? env.versionLabel, goesRed: extra.goesRed ?? false,
  };
  env.updatedAt = at;
}

function maxRecords(input: Input, limit: number): number {
  const max = input.optInt('MaxRecords') ?? limit;
  if (max < 1 || max > 1000) throw invalid('MaxRecords must be between 1 and 1000.');
  return max;
}

const invalidToken = (): AwsError => invalid('Invalid NextToken.');

// Option settings: kept as given (no platform defaults), so DescribeConfigurationSettings
// answers with exactly what create/update set, the environmentsecrets namespace included.
function optionSettingsOf(input: Input): EbOptionSetting[] {
  return (input.optObjList('OptionSettings') ?? []).map((o) => ({ Namespace: o.str('Namespace'), OptionName: o.str('OptionName'), Value: o.optStr('Value') ?? '' }));
}

function applyOptionSettings(env: EbEnvironment, input: Input): void {
  const remove = (input.optObjList('OptionsToRemove') ?? []).map((o) => `${o.str('Namespace')}|${o.str('OptionName')}`);
  const set = optionSettingsOf(input);
  const key = (o: EbOptionSetting): string => `${o.Namespace}|${o.OptionName}`;
  const replaced = new Set([...remove, ...set.map(key)]);
  env.optionSettings = [...(env.optionSettings ?? []).filter((o) => !replaced.has(key(o))), ...set];
}

export const beanstalkService: QueryService = {
  name: 'elasticbeanstalk',
  signingName: 'elasticbeanstalk',
  namespace: 'http://elasticbeanstalk.amazonaws.com/docs/2010-12-01/',
  handlers: {
    CreateApplication(input, ctx) {
      const name = input.str('ApplicationName');
      if (name.length < 1 || name.length > 100) throw invalid('ApplicationName must be 1 to 100 characters.');
      const apps = ctx.store.state.eb.applications;
      if (apps[name]) throw invalid(`Application ${name} already exists.`);
      const app: EbApplication = { name, description: input.optStr('Description'), createdAt: now(), updatedAt: now() };
      parseLifecycle(input, app);
      apps[name] = app;
      return { Application: describeApp(ctx, app) };
    },

    DescribeApplications(input, ctx) {
      const names = input.optStrList('ApplicationNames');
      const apps = Object.values(ctx.store.state.eb.applications).filter((a) => !names || names.includes(a.name));
      return { Applications: apps.map((a) => describeApp(ctx, a)) };
    },

    UpdateApplicationResourceLifecycle(input, ctx) {
      const app = getApp(ctx, input.str('ApplicationName'));
      if (!input.optObj('ResourceLifecycleConfig')) throw input.dialect.missing('ResourceLifecycleConfig');
      parseLifecycle(input, app);
      app.updatedAt = now();
      const described = describeApp(ctx, app);
      return { ApplicationName: app.name, ResourceLifecycleConfig: described.ResourceLifecycleConfig };
    },

    async CreateApplicationVersion(input, ctx) {
      const appName = input.str('ApplicationName');
      const label = input.str('VersionLabel');
      if (label.length < 1 || label.length > 100) throw invalid('VersionLabel must be 1 to 100 characters.');
      const eb = ctx.store.state.eb;
      let app = eb.applications[appName];
      if (!app) {
        if (input.optBool('AutoCreateApplication') !== true) throw invalid(`No Application named '${appName}' found.`);
        app = { name: appName, createdAt: now(), updatedAt: now() };
        eb.applications[appName] = app;
      }
      if (eb.versions.some((v) => v.applicationName === appName && v.versionLabel === label)) {
        throw invalid(`Application Version ${label} already exists.`);
      }
      const bundleInput = input.optObj('SourceBundle');
      const sourceBundle = bundleInput ? { S3Bucket: bundleInput.str('S3Bucket'), S3Key: bundleInput.str('S3Key') } : undefined;
      let bundleFile: string | undefined;
      if (sourceBundle) {
        const obj = ctx.store.state.s3.buckets[sourceBundle.S3Bucket]?.objects[sourceBundle.S3Key];
        if (!obj) {
          throw new AwsError('InvalidParameterCombination',
            `Unable to download from S3 location (Bucket: ${sourceBundle.S3Bucket}  Key: ${sourceBundle.S3Key}). Reason: Not Found`);
        }
        bundleFile = join(ctx.stateDir, 's3', sourceBundle.S3Bucket, obj.file);
      }
      const process = input.optBool('Process') ?? false;
      const version: EbVersion = {
        applicationName: appName, versionLabel: label, description: input.optStr('Description'), sourceBundle,
        status: process ? 'Processing' : 'Unprocessed', createdAt: now(),
      };
      if (process) {
        const verdict = bundleFile ? await checkDockerBundle(bundleFile) : { ok: true as const };
        version.processOutcome = verdict.ok ? 'Processed' : 'Failed';
        version.processedAt = now() + ctx.timings.versionProcessMs;
        if (!verdict.ok) {
          addEvent(ctx, version.processedAt, `Failed to process application version ${label}: ${verdict.reason}`, { app: appName, version: label, severity: 'ERROR' });
        }
      }
      eb.versions.push(version);
      addEvent(ctx, version.createdAt, `Created new Application Version: ${label}`, { app: appName, version: label });
      app.updatedAt = now();
      applyVersionCap(ctx, app);
      return { ApplicationVersion: describeVersion(ctx, version) };
    },

    DescribeApplicationVersions(input, ctx) {
      const appName = input.optStr('ApplicationName');
      const labels = input.optStrList('VersionLabels');
      const versions = ctx.store.state.eb.versions
        .filter((v) => (appName === undefined || v.applicationName === appName) && (!labels || labels.includes(v.versionLabel)))
        .sort((a, b) => b.createdAt - a.createdAt);
      const { page, next } = paginate(versions, maxRecords(input, 1000), input.optStr('NextToken'), invalidToken);
      return { ApplicationVersions: page.map((v) => describeVersion(ctx, v)), NextToken: next };
    },

    DeleteApplicationVersion(input, ctx) {
      const appName = input.str('ApplicationName');
      const label = input.str('VersionLabel');
      getApp(ctx, appName);
      const version = getVersion(ctx, appName, label);
      const users = Object.values(ctx.store.state.eb.environments)
        .filter((e) => e.status !== 'Terminated' && e.applicationName === appName && e.versionLabel === label);
      if (users.length > 0) {
        throw new AwsError('SourceBundleDeletionFailure',
          `Unable to delete application version ${label} because it is being used by environment(s) ${users.map((e) => e.environmentName).join(', ')}.`);
      }
      const eb = ctx.store.state.eb;
      eb.versions = eb.versions.filter((v) => v !== version);
      if (input.optBool('DeleteSourceBundle') === true && version.sourceBundle) {
        delete ctx.store.state.s3.buckets[version.sourceBundle.S3Bucket]?.objects[version.sourceBundle.S3Key];
      }
      return {};
    },

    async CreateEnvironment(input, ctx) {
      const appName = input.str('ApplicationName');
      const name = input.str('EnvironmentName');
      getApp(ctx, appName);
      if (!/^[A-Za-z0-9][A-Za-z0-9-]{2,38}[A-Za-z0-9]$/.test(name)) {
        throw invalid(`Value ${name} at 'EnvironmentName' failed to satisfy constraint: Member must be 4 to 40 characters of letters, digits and hyphens, not starting or ending with a hyphen.`);
      }
      const eb = ctx.store.state.eb;
      if (Object.values(eb.environments).some((e) => e.environmentName === name && e.status !== 'Terminated')) {
        throw invalid(`Environment ${name} already exists.`);
      }
      const label = input.optStr('VersionLabel');
      if (label !== undefined) {
        const v = getVersion(ctx, appName, label);
        if (v.status === 'Failed') throw invalid(`Application version ${label} failed processing and cannot be deployed.`);
      }
      const stack = input.optStr('SolutionStackName');
      const platformArn = input.optStr('PlatformArn');
      if (stack === undefined && platformArn === undefined && input.optStr('TemplateName') === undefined) {
        throw invalid('No platform specified: provide SolutionStackName, PlatformArn or TemplateName.');
      }
      const tier = input.optObj('Tier');
      const at = now();
      const env: EbEnvironment = {
        environmentId: newEnvironmentId(), environmentName: name, applicationName: appName, versionLabel: label,
        solutionStackName: stack, platformArn, description: input.optStr('Description'),
        tier: { Name: tier?.optStr('Name') ?? 'WebServer', Type: tier?.optStr('Type') ?? 'Standard', Version: tier?.optStr('Version') ?? '1.0' },
        status: 'Launching', health: 'Grey', healthStatus: 'Pending', causes: [], createdAt: at, updatedAt: at, port: 0,
        tags: input.tags() ?? [],
      };
      applyOptionSettings(env, input);
      eb.environments[env.environmentId] = env;
      env.port = await ctx.hooks.ensureEnvironmentListener(env.environmentId);
      begin(ctx, env, 'launch');
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
      const envs = Object.values(ctx.store.state.eb.environments)
        .filter((e) => (appName === undefined || e.applicationName === appName) && (label === undefined || e.versionLabel === label)
          && (!ids || ids.includes(e.environmentId)) && (!names || names.includes(e.environmentName))
          && (includeDeleted || e.status !== 'Terminated'))
        .sort((a, b) => a.createdAt - b.createdAt);
      const { page, next } = paginate(envs, maxRecords(input, 1000), input.optStr('NextToken'), invalidToken);
      return { Environments: page.map((e) => describeEnv(ctx, e)), NextToken: next };
    },

    UpdateEnvironment(input, ctx) {
      const env = findEnv(ctx, input);
      mustBeReady(env);
      const label = input.optStr('VersionLabel');
      const description = input.optStr('Description');
      if (description !== undefined) env.description = description;
      applyOptionSettings(env, input);
      const at = now();
      if (label !== undefined) {
        const v = getVersion(ctx, env.applicationName, label);
        if (v.status === 'Failed') throw invalid(`Application version ${label} failed processing and cannot be deployed.`);
        if (v.status === 'Processing') throw invalid(`Application version ${label} is still being processed.`);
        const fired = ctx.faults.fire('elasticbeanstalk', 'UpdateEnvironment', (s) => s.nextDeployRed !== undefined
          && s.nextDeployRed.environmentName === env.environmentName
          && (s.nextDeployRed.versionLabel === undefined || s.nextDeployRed.versionLabel === label));
        begin(ctx, env, 'update', { toVersion: label, goesRed: fired.length > 0 });
        env.versionLabel = label;
      } else {
        begin(ctx, env, 'update', { toVersion: env.versionLabel, goesRed: false });
      }
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

    DescribeConfigurationSettings(input, ctx) {
      const appName = input.str('ApplicationName');
      getApp(ctx, appName);
      const envName = input.optStr('EnvironmentName');
      if (envName === undefined) throw input.dialect.missing('EnvironmentName');
      const env = Object.values(ctx.store.state.eb.environments).find((e) => e.applicationName === appName && e.environmentName === envName && e.status !== 'Terminated');
      if (!env) throw invalid(`No Environment found for EnvironmentName = '${envName}'.`);
      return {
        ConfigurationSettings: [{
          SolutionStackName: env.solutionStackName, PlatformArn: env.platformArn, ApplicationName: appName, EnvironmentName: envName,
          DeploymentStatus: 'deployed', DateCreated: new Date(env.createdAt), DateUpdated: new Date(env.updatedAt),
          OptionSettings: (env.optionSettings ?? []).map((o) => ({ Namespace: o.Namespace, OptionName: o.OptionName, Value: o.Value })),
        }],
      };
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
      if (env.status === 'Terminating') throw invalid(`Environment named ${env.environmentName} is in an invalid state for this operation. Must be Ready.`);
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
        InstancesHealth: env.health === 'Red'
          ? { NoData: 0, Unknown: 0, Pending: 0, Ok: 0, Info: 0, Warning: 0, Degraded: 0, Severe: 1 }
          : { NoData: 0, Unknown: 0, Pending: env.status === 'Launching' ? 1 : 0, Ok: env.health === 'Green' ? 1 : 0, Info: env.healthStatus === 'Info' ? 1 : 0, Warning: 0, Degraded: 0, Severe: 0 },
        RefreshedAt: new Date(),
      };
    },

    DescribeEvents(input, ctx) {
      const appName = input.optStr('ApplicationName');
      const envName = input.optStr('EnvironmentName');
      const envId = input.optStr('EnvironmentId');
      const label = input.optStr('VersionLabel');
      const severity = input.optStr('Severity');
      if (severity !== undefined && !SEVERITIES.includes(severity as EbEvent['severity'])) throw invalid(`Invalid Severity: ${severity}`);
      const minLevel = severity === undefined ? 0 : SEVERITIES.indexOf(severity as EbEvent['severity']);
      const parseTime = (name: string): number | undefined => {
        const raw = input.optStr(name);
        if (raw === undefined) return undefined;
        const t = Date.parse(raw);
        if (Number.isNaN(t)) throw invalid(`Invalid ${name}: ${raw}`);
        return t;
      };
      const start = parseTime('StartTime');
      const end = parseTime('EndTime');
      const envNameForId = envId === undefined ? undefined : ctx.store.state.eb.environments[envId]?.environmentName ?? `\u0000${envId}`;
      const events = ctx.store.state.eb.events
        .filter((e) => (appName === undefined || e.applicationName === appName)
          && (envName === undefined || e.environmentName === envName)
          && (envNameForId === undefined || e.environmentName === envNameForId)
          && (label === undefined || e.versionLabel === label)
          && SEVERITIES.indexOf(e.severity) >= minLevel
          && (start === undefined || e.eventDate >= start) && (end === undefined || e.eventDate < end))
        .sort((a, b) => b.eventDate - a.eventDate || b.seq - a.seq);
      const { page, next } = paginate(events, maxRecords(input, 100), input.optStr('NextToken'), invalidToken);
      return {
        Events: page.map((e) => ({
          EventDate: new Date(e.eventDate), Message: e.message, ApplicationName: e.applicationName,
          VersionLabel: e.versionLabel, EnvironmentName: e.environmentName, RequestId: undefined, Severity: e.severity,
        })),
        NextToken: next,
      };
    },
  },
};
