import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AwsError } from '../../errors.js';
import { ACCOUNT_ID } from '../../ids.js';
import { now } from '../../clock.js';
import { paginate } from '../../pagination.js';
import { regional } from '../../regions.js';
import { checkBundle } from '../source-bundle.js';
import { deleteStoredObject } from '../s3.js';
import { addEvent } from './state-machine.js';
import { describeApp, describeVersion } from './describe.js';
import { getApp, getVersion, invalid, invalidToken, maxRecords } from './lookup.js';
import type { Input } from '../../protocols/input.js';
import type { QueryHandler } from '../../protocols/types.js';
import type { SimContext } from '../../context.js';
import type { EbApplication } from '../../state.js';

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
async function applyVersionCap(ctx: SimContext, app: EbApplication): Promise<void> {
  if (app.maxVersionCount === undefined) return;
  const eb = regional(ctx).eb;
  const inUse = new Set(Object.values(eb.environments).filter((e) => e.applicationName === app.name && e.status !== 'Terminated')
    .flatMap((e) => [e.versionLabel, e.pending?.toVersion, e.pending?.fromVersion]));
  const versions = eb.versions.filter((v) => v.applicationName === app.name).sort((a, b) => a.createdAt - b.createdAt);
  let excess = versions.length - app.maxVersionCount;
  for (const v of versions) {
    if (excess <= 0) break;
    if (inUse.has(v.versionLabel)) continue;
    eb.versions = eb.versions.filter((x) => x !== v);
    if (app.deleteSourceFromS3 && v.sourceBundle) await deleteStoredObject(ctx, v.sourceBundle.S3Bucket, v.sourceBundle.S3Key);
    excess--;
  }
}

const liveEnvironmentsOf = (ctx: SimContext, appName: string) =>
  Object.values(regional(ctx).eb.environments).filter((e) => e.status !== 'Terminated' && e.applicationName === appName);

export const applicationHandlers: Record<string, QueryHandler> = {
  CreateApplication(input, ctx) {
    const name = input.str('ApplicationName');
    if (name.length < 1 || name.length > 100) throw invalid('ApplicationName must be 1 to 100 characters.');
    const apps = regional(ctx).eb.applications;
    if (apps[name]) throw invalid(`Application ${name} already exists.`);
    const app: EbApplication = { name, description: input.optStr('Description'), createdAt: now(), updatedAt: now() };
    parseLifecycle(input, app);
    apps[name] = app;
    return { Application: describeApp(ctx, app) };
  },

  DescribeApplications(input, ctx) {
    const names = input.optStrList('ApplicationNames');
    const apps = Object.values(regional(ctx).eb.applications).filter((a) => !names || names.includes(a.name));
    return { Applications: apps.map((a) => describeApp(ctx, a)) };
  },

  DeleteApplication(input, ctx) {
    const name = input.str('ApplicationName');
    getApp(ctx, name);
    const live = liveEnvironmentsOf(ctx, name);
    if (live.length > 0 && input.optBool('TerminateEnvByForce') !== true) {
      throw invalid(`Unable to delete application ${name} because it has running environments: ${live.map((e) => e.environmentName).join(', ')}. Terminate them first, or set TerminateEnvByForce.`);
    }
    const eb = regional(ctx).eb;
    for (const env of live) {
      env.status = 'Terminated';
      env.health = 'Grey';
      void ctx.hooks.closeEnvironmentListener(env.environmentId);
    }
    delete eb.applications[name];
    eb.versions = eb.versions.filter((v) => v.applicationName !== name);
    return {};
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
    const eb = regional(ctx).eb;
    let app = eb.applications[appName];
    if (!app) {
      if (input.optBool('AutoCreateApplication') !== true) throw invalid(`No Application named '${appName}' found.`);
      app = { name: appName, createdAt: now(), updatedAt: now() };
      eb.applications[appName] = app;
    }
    if (eb.versions.some((v) => v.applicationName === appName && v.versionLabel === label)) {
      throw invalid(`Application Version ${label} already exists.`);
    }
    // The quota counts every application's versions in the region, and is checked before the
    // lifecycle rule runs: an application at the quota must shed a version first.
    if (eb.versions.length >= ctx.limits.applicationVersions) {
      throw new AwsError('TooManyApplicationVersionsException', `You cannot have more than ${ctx.limits.applicationVersions} Application Versions in this region.`);
    }
    const bundleInput = input.optObj('SourceBundle');
    const sourceBundle = bundleInput ? { S3Bucket: bundleInput.str('S3Bucket'), S3Key: bundleInput.str('S3Key') } : undefined;
    let bundleFile: string | undefined;
    if (sourceBundle) {
      const bucket = ctx.store.state.s3.buckets[sourceBundle.S3Bucket];
      const obj = bucket?.objects[sourceBundle.S3Key];
      // Beanstalk reads bundles from buckets of its own region only.
      if (!bucket || !obj || bucket.region !== ctx.region) {
        throw new AwsError('InvalidParameterCombination',
          `Unable to download from S3 location (Bucket: ${sourceBundle.S3Bucket}  Key: ${sourceBundle.S3Key}). Reason: ${bucket && obj ? `The bucket is in ${bucket.region}, not ${ctx.region}` : 'Not Found'}`);
      }
      bundleFile = join(ctx.stateDir, 's3', sourceBundle.S3Bucket, obj.file);
    }
    const process = input.optBool('Process') ?? false;
    const version = {
      applicationName: appName, versionLabel: label, description: input.optStr('Description'), sourceBundle,
      status: process ? 'Processing' as const : 'Unprocessed' as const, createdAt: now(),
      processOutcome: undefined as 'Processed' | 'Failed' | undefined, processedAt: undefined as number | undefined,
    };
    if (process) {
      const verdict = bundleFile ? await checkBundle(bundleFile) : { ok: true as const };
      version.processOutcome = verdict.ok ? 'Processed' : 'Failed';
      version.processedAt = now() + ctx.timings.versionProcessMs;
      if (!verdict.ok) {
        addEvent(ctx, version.processedAt, `Failed to process application version ${label}: ${verdict.reason}`, { app: appName, version: label, severity: 'ERROR' });
      }
    }
    eb.versions.push(version);
    addEvent(ctx, version.createdAt, `Created new Application Version: ${label}`, { app: appName, version: label });
    app.updatedAt = now();
    await applyVersionCap(ctx, app);
    return { ApplicationVersion: describeVersion(ctx, version) };
  },

  DescribeApplicationVersions(input, ctx) {
    const appName = input.optStr('ApplicationName');
    const labels = input.optStrList('VersionLabels');
    const versions = regional(ctx).eb.versions
      .filter((v) => (appName === undefined || v.applicationName === appName) && (!labels || labels.includes(v.versionLabel)))
      .sort((a, b) => b.createdAt - a.createdAt);
    const { page, next } = paginate(versions, maxRecords(input, 1000), input.optStr('NextToken'), invalidToken);
    return { ApplicationVersions: page.map((v) => describeVersion(ctx, v)), NextToken: next };
  },

  async DeleteApplicationVersion(input, ctx) {
    const appName = input.str('ApplicationName');
    const label = input.str('VersionLabel');
    getApp(ctx, appName);
    const version = getVersion(ctx, appName, label);
    const users = liveEnvironmentsOf(ctx, appName).filter((e) => e.versionLabel === label);
    if (users.length > 0) {
      throw invalid(`Unable to delete application version ${label} because it is being used by environment(s) ${users.map((e) => e.environmentName).join(', ')}.`);
    }
    const eb = regional(ctx).eb;
    eb.versions = eb.versions.filter((v) => v !== version);
    if (input.optBool('DeleteSourceBundle') === true && version.sourceBundle) {
      const bucket = ctx.store.state.s3.buckets[version.sourceBundle.S3Bucket];
      // botocore's model: this code means the version WAS deleted, only its bundle was not.
      if (!bucket) {
        throw new AwsError('SourceBundleDeletionFailure',
          `Unable to delete source bundle s3://${version.sourceBundle.S3Bucket}/${version.sourceBundle.S3Key}: the bucket does not exist. The application version was deleted.`);
      }
      await deleteStoredObject(ctx, version.sourceBundle.S3Bucket, version.sourceBundle.S3Key);
    }
    return {};
  },

  /** Beanstalk's per-region bucket, as `eb init`/`eb deploy` ask for it. */
  async CreateStorageLocation(_input, ctx) {
    const name = `elasticbeanstalk-${ctx.region}-${ACCOUNT_ID}`;
    const buckets = ctx.store.state.s3.buckets;
    if (!buckets[name]) {
      buckets[name] = { name, region: ctx.region, createdAt: now(), objects: {} };
      await mkdir(join(ctx.stateDir, 's3', name), { recursive: true });
    }
    return { S3Bucket: name };
  },
};
