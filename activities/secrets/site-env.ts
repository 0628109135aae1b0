import { loadConfig, type ResolvedConfig } from '../../config/load.js';
import { isReference, type EnvValue, type SecretReference } from '../../config/schema.js';
import type { AwsClientFactory } from '../aws/clients.js';
import { fromInputError, nonRetryable } from '../failures.js';
import { plainEnv, resolveEnvValues, resolveSecretArn, resolveSecretValue, type ResolvedEnv } from './references.js';

/** Every reference in a config, with the field a person would fix. */
export function referencesIn(config: ResolvedConfig): { field: string; ref: SecretReference; beanstalk: boolean }[] {
  const out: { field: string; ref: SecretReference; beanstalk: boolean }[] = [];
  const add = (field: string, env: Record<string, EnvValue> | undefined, beanstalk: boolean): void => {
    for (const [name, value] of Object.entries(env ?? {})) if (isReference(value)) out.push({ field: `${field}.${name}`, ref: value, beanstalk });
  };
  config.compile.steps.forEach((step, i) => add(`compile.steps[${i}].env`, step.env, false));
  config.figures.forEach((figure, i) => add(`figures[${i}].env`, figure.env, false));
  add('beanstalk.envVars', config.beanstalk?.envVars, true);
  return out;
}

/**
 * Proves every reference resolves before anything is built or provisioned: a missing secret
 * fails the release in seconds, not after a day of compiling. Values read here are dropped.
 */
export async function checkReferences(aws: AwsClientFactory, config: ResolvedConfig): Promise<number> {
  const refs = referencesIn(config);
  if (refs.length === 0 || !config.aws) return refs.length;
  const clients = aws({ region: config.aws.region, ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) });
  for (const { field, ref, beanstalk } of refs) {
    // Beanstalk reads its secrets itself: the worker only needs to know they exist.
    if (beanstalk) await resolveSecretArn(clients, ref, field);
    else await resolveSecretValue(clients, ref, field);
  }
  return refs.length;
}

async function reload(configPath: string): Promise<ResolvedConfig> {
  try {
    return await loadConfig(configPath);
  } catch (err) {
    throw fromInputError(err);
  }
}

/**
 * The environment of one compile step or figure script, read from the config on the worker's
 * disk and resolved here, so neither the values nor the references travel through history.
 */
export async function resolveScriptEnv(aws: AwsClientFactory, configPath: string, kind: 'step' | 'figure', name: string): Promise<ResolvedEnv> {
  const config = await reload(configPath);
  const list = kind === 'step' ? config.compile.steps : config.figures;
  const index = list.findIndex((entry) => entry.name === name);
  const entry = list[index];
  const where = kind === 'step' ? 'compile.steps' : 'figures';
  if (!entry) {
    throw nonRetryable('InvalidConfig', `${where} in ${configPath} no longer has "${name}" (the config changed during the run): restore it or start a new run.`, { field: where });
  }
  const field = `${where}[${index}].env`;
  const env = entry.env ?? {};
  if (!Object.values(env).some(isReference)) {
    return { env: plainEnv(env), secrets: [] };
  }
  if (!config.aws) throw nonRetryable('InvalidConfig', `${field} has secret references but the config has no "aws" section: add one such as {"region": "us-east-1"}.`, { field: 'aws' });
  return resolveEnvValues(aws({ region: config.aws.region, ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) }), env, field);
}
