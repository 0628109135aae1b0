import { AwsError } from '../../errors.js';
import { regional } from '../../regions.js';
import type { Input } from '../../protocols/input.js';
import type { SimContext } from '../../context.js';
import type { EbApplication, EbEnvironment, EbVersion } from '../../state.js';

// Finding an application, version or environment of the request's region, failing as Beanstalk does.

export const invalid = (message: string): AwsError => new AwsError('InvalidParameterValue', message);
export const invalidToken = (): AwsError => invalid('Invalid NextToken.');

export function getApp(ctx: SimContext, name: string): EbApplication {
  const app = regional(ctx).eb.applications[name];
  if (!app) throw invalid(`No Application named '${name}' found.`);
  return app;
}

export function getVersion(ctx: SimContext, app: string, label: string): EbVersion {
  const v = regional(ctx).eb.versions.find((x) => x.applicationName === app && x.versionLabel === label);
  if (!v) throw invalid(`No Application Version named '${label}' found.`);
  return v;
}

export function findEnv(ctx: SimContext, input: Input): EbEnvironment {
  const id = input.optStr('EnvironmentId');
  const name = input.optStr('EnvironmentName');
  if (id === undefined && name === undefined) throw new AwsError('MissingParameter', 'You must specify either EnvironmentId or EnvironmentName.');
  const env = Object.values(regional(ctx).eb.environments).find((e) =>
    e.status !== 'Terminated' && (id === undefined || e.environmentId === id) && (name === undefined || e.environmentName === name));
  if (!env) {
    throw invalid(id !== undefined ? `No Environment found for EnvironmentId = '${id}'.` : `No Environment found for EnvironmentName = '${name}'.`);
  }
  return env;
}

export function mustBeReady(env: EbEnvironment): void {
  if (env.status !== 'Ready') {
    throw invalid(`Environment named ${env.environmentName} is in an invalid state for this operation. Must be Ready.`);
  }
}

export function maxRecords(input: Input, limit: number): number {
  const max = input.optInt('MaxRecords') ?? limit;
  if (max < 1 || max > 1000) throw invalid('MaxRecords must be between 1 and 1000.');
  return max;
}
