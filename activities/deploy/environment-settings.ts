import {
  DescribeConfigurationSettingsCommand,
  type ConfigurationOptionSetting,
  type ElasticBeanstalkClient,
  type OptionSpecification,
} from '@aws-sdk/client-elastic-beanstalk';
import { loadConfig } from '../../config/load.js';
import type { AwsClientFactory } from '../aws/clients.js';
import { fromInputError } from '../failures.js';
import { resolveSecretArn } from '../secrets/references.js';
import { rethrowAws } from '../aws/errors.js';
import type { DeploySite } from './deploy-config.js';

export const ENV_NAMESPACE = 'aws:elasticbeanstalk:application:environment';
export const SECRETS_NAMESPACE = 'aws:elasticbeanstalk:application:environmentsecrets';
const LAUNCH_NAMESPACE = 'aws:autoscaling:launchconfiguration';
/**
 * The names the runbook set last time, kept on the environment itself: only those are ever
 * removed, never a setting the platform, the console or .ebextensions put there.
 */
export const MANAGED_MARKER = 'RUNBOOK_MANAGED_ENV';

/** What a deploy changes in the environment's settings: names only, never values. */
export interface SettingsChange {
  /** Plain environment properties added or given another value. */
  set: string[];
  /** Environment secrets (ARNs) added. */
  addSecrets: string[];
  /** Environment secrets pointed at another ARN. */
  changeSecrets: string[];
  /** Settings this runbook set before that the config no longer lists. */
  remove: string[];
  instanceType: { from: string | null; to: string } | null;
  /** "will set DATA_DIR, add secret FLASK_SECRET_KEY, remove OLD_FLAG", or "no setting changes". */
  summary: string;
}

/** What the config asks of the environment, references turned into ARNs. */
export interface DesiredSettings {
  plain: Record<string, string>;
  secrets: Record<string, string>;
  instanceType: string | null;
}

/** The config's env settings, read on the worker from `site.configPath` (null for an input that has none). */
export async function desiredSettings(aws: AwsClientFactory, site: DeploySite): Promise<DesiredSettings | null> {
  if (!site.configPath) return null;
  let envVars;
  try {
    envVars = (await loadConfig(site.configPath)).beanstalk?.envVars ?? {};
  } catch (err) {
    throw fromInputError(err);
  }
  const clients = aws(site.aws);
  const plain: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(envVars)) {
    if (typeof value === 'string') plain[name] = value;
    else if ('plain' in value) plain[name] = value.plain;
    else secrets[name] = await resolveSecretArn(clients, value, `beanstalk.envVars.${name}`);
  }
  return { plain, secrets, instanceType: site.beanstalk.instanceType ?? null };
}

export async function currentSettings(eb: ElasticBeanstalkClient, application: string, environment: string): Promise<ConfigurationOptionSetting[]> {
  try {
    const out = await eb.send(new DescribeConfigurationSettingsCommand({ ApplicationName: application, EnvironmentName: environment }));
    return out.ConfigurationSettings?.[0]?.OptionSettings ?? [];
  } catch (err) {
    rethrowAws(err, `DescribeConfigurationSettings ${environment}`);
  }
}

function namespaceValues(settings: ConfigurationOptionSetting[], namespace: string): Map<string, string> {
  return new Map(settings.filter((s) => s.Namespace === namespace && s.OptionName).map((s) => [s.OptionName as string, s.Value ?? '']));
}

function markerOf(desired: DesiredSettings): string {
  return [...Object.keys(desired.plain), ...Object.keys(desired.secrets)].sort().join(',');
}

/** Every setting of a new environment (CreateEnvironment takes them all at once). */
export function launchSettings(desired: DesiredSettings): ConfigurationOptionSetting[] {
  return [
    ...(desired.instanceType ? [{ Namespace: LAUNCH_NAMESPACE, OptionName: 'InstanceType', Value: desired.instanceType }] : []),
    ...Object.entries(desired.plain).map(([name, value]) => ({ Namespace: ENV_NAMESPACE, OptionName: name, Value: value })),
    ...Object.entries(desired.secrets).map(([name, arn]) => ({ Namespace: SECRETS_NAMESPACE, OptionName: name, Value: arn })),
    { Namespace: ENV_NAMESPACE, OptionName: MANAGED_MARKER, Value: markerOf(desired) },
  ];
}

export interface SettingsPlan {
  change: SettingsChange;
  optionSettings: ConfigurationOptionSetting[];
  optionsToRemove: OptionSpecification[];
}

/** The difference between what the environment has and what the config asks, as one update. */
export function planSettings(current: ConfigurationOptionSetting[], desired: DesiredSettings): SettingsPlan {
  const plain = namespaceValues(current, ENV_NAMESPACE);
  const secrets = namespaceValues(current, SECRETS_NAMESPACE);
  const managed = new Set((plain.get(MANAGED_MARKER) ?? '').split(',').filter(Boolean));
  const optionSettings: ConfigurationOptionSetting[] = [];
  const optionsToRemove: OptionSpecification[] = [];
  const change: SettingsChange = { set: [], addSecrets: [], changeSecrets: [], remove: [], instanceType: null, summary: '' };

  for (const [name, value] of Object.entries(desired.plain)) {
    if (plain.get(name) !== value) {
      optionSettings.push({ Namespace: ENV_NAMESPACE, OptionName: name, Value: value });
      change.set.push(name);
    }
    // A name that moved from secret to plain must leave the other namespace.
    if (secrets.has(name)) optionsToRemove.push({ Namespace: SECRETS_NAMESPACE, OptionName: name });
  }
  for (const [name, arn] of Object.entries(desired.secrets)) {
    const before = secrets.get(name);
    if (before !== arn) {
      optionSettings.push({ Namespace: SECRETS_NAMESPACE, OptionName: name, Value: arn });
      (before === undefined ? change.addSecrets : change.changeSecrets).push(name);
    }
    if (plain.has(name)) optionsToRemove.push({ Namespace: ENV_NAMESPACE, OptionName: name });
  }
  for (const name of managed) {
    if (name in desired.plain || name in desired.secrets) continue;
    if (plain.has(name)) optionsToRemove.push({ Namespace: ENV_NAMESPACE, OptionName: name });
    if (secrets.has(name)) optionsToRemove.push({ Namespace: SECRETS_NAMESPACE, OptionName: name });
    if (plain.has(name) || secrets.has(name)) change.remove.push(name);
  }
  // Environments on launch templates report their types in aws:ec2:instances instead.
  const instanceType =
    current.find((s) => s.Namespace === LAUNCH_NAMESPACE && s.OptionName === 'InstanceType')?.Value ??
    current.find((s) => s.Namespace === 'aws:ec2:instances' && s.OptionName === 'InstanceTypes')?.Value?.split(',')[0]?.trim() ??
    null;
  if (desired.instanceType && desired.instanceType !== instanceType) {
    optionSettings.push({ Namespace: LAUNCH_NAMESPACE, OptionName: 'InstanceType', Value: desired.instanceType });
    change.instanceType = { from: instanceType, to: desired.instanceType };
  }
  const marker = markerOf(desired);
  if ((plain.get(MANAGED_MARKER) ?? '') !== marker || optionSettings.length > 0 || optionsToRemove.length > 0) {
    optionSettings.push({ Namespace: ENV_NAMESPACE, OptionName: MANAGED_MARKER, Value: marker });
  }
  for (const list of [change.set, change.addSecrets, change.changeSecrets, change.remove]) list.sort();
  change.summary = summarize(change);
  return { change, optionSettings, optionsToRemove };
}

export function summarize(change: Omit<SettingsChange, 'summary'>): string {
  const parts = [
    change.set.length ? `set ${change.set.join(', ')}` : '',
    change.addSecrets.length ? `add secret ${change.addSecrets.join(', ')}` : '',
    change.changeSecrets.length ? `point secret ${change.changeSecrets.join(', ')} at another ARN` : '',
    change.remove.length ? `remove ${change.remove.join(', ')}` : '',
    change.instanceType ? `change instance type ${change.instanceType.from ?? '(default)'} → ${change.instanceType.to}` : '',
  ].filter(Boolean);
  return parts.length ? `will ${parts.join(', ')}` : 'no setting changes';
}

/** The plan for an environment that does not exist yet: everything is new. */
export function planLaunch(desired: DesiredSettings): SettingsChange {
  return planSettings([], desired).change;
}
