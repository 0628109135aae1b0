import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { CancelledFailure } from '@temporalio/activity';
import type { EnvValue, SecretReference } from '../../config/schema.js';
import type { AwsClients } from '../aws/clients.js';
import { awsErrorCode, describeAwsError, isTransient } from '../aws/errors.js';
import { nonRetryable } from '../failures.js';

// Secret values live only in the activity that uses them: resolved here, handed to a
// subprocess or discarded, never returned, logged, heartbeated or written to disk. Every error
// below names the config field and the secret's ARN or name, never its value.

type SecretClients = Pick<AwsClients, 'secretsManager' | 'ssm'>;

const NOT_FOUND = new Set(['ResourceNotFoundException', 'ParameterNotFound', 'ParameterVersionNotFound']);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnrecognizedClientException']);

/** "the Secrets Manager secret X" / "the SSM parameter Y", as errors say it. */
export function describeReference(ref: SecretReference): string {
  return 'secret' in ref ? `the Secrets Manager secret "${ref.secret}"` : `the SSM parameter "${ref.parameter}"`;
}

function failure(err: unknown, ref: SecretReference, field: string): never {
  if (err instanceof CancelledFailure || isTransient(err)) throw err;
  if (err instanceof Error && err.name === 'ApplicationFailure') throw err;
  const code = awsErrorCode(err);
  const what = describeReference(ref);
  if (NOT_FOUND.has(code)) {
    throw nonRetryable('InvalidConfig', `${field} refers to ${what}, which does not exist in this account and region: create it or fix the reference.`, { field });
  }
  if (DENIED.has(code)) {
    throw nonRetryable('InvalidConfig', `${field} refers to ${what}, which the worker may not read (${code}): allow it in the worker's IAM policy.`, { field });
  }
  throw nonRetryable('InvalidConfig', `${field} refers to ${what}, which could not be read (${describeAwsError(err)}): fix the reference.`, { field });
}

function pickKey(raw: string, ref: SecretReference, field: string): string {
  if (ref.key === undefined) return raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw nonRetryable('InvalidConfig', `${field} picks key "${ref.key}" of ${describeReference(ref)}, whose value is not a JSON object: drop "key" or store JSON.`, { field });
  }
  const value = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[ref.key] : undefined;
  if (value === undefined || value === null) {
    throw nonRetryable('InvalidConfig', `${field} picks key "${ref.key}" of ${describeReference(ref)}, which has no such key: fix "key" or the secret.`, { field });
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The value a reference points at, for a subprocess's environment. */
export async function resolveSecretValue(clients: SecretClients, ref: SecretReference, field: string): Promise<string> {
  try {
    if ('secret' in ref) {
      const out = await clients.secretsManager.send(new GetSecretValueCommand({ SecretId: ref.secret }));
      const raw = out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : undefined);
      if (raw === undefined) throw nonRetryable('InvalidConfig', `${field} refers to ${describeReference(ref)}, which has no value yet: put a value in it.`, { field });
      return pickKey(raw, ref, field);
    }
    const out = await clients.ssm.send(new GetParameterCommand({ Name: ref.parameter, WithDecryption: true }));
    return pickKey(out.Parameter?.Value ?? '', ref, field);
  } catch (err) {
    failure(err, ref, field);
  }
}

/**
 * The ARN of what a reference names, for a Beanstalk environment secret: Beanstalk resolves it
 * on the instance, so the value itself is never read here.
 */
export async function resolveSecretArn(clients: SecretClients, ref: SecretReference, field: string): Promise<string> {
  try {
    if ('secret' in ref) {
      const out = await clients.secretsManager.send(new DescribeSecretCommand({ SecretId: ref.secret }));
      if (!out.ARN) throw new Error('no ARN in DescribeSecret');
      return out.ARN;
    }
    // Without decryption: only the parameter's existence and ARN are wanted here.
    const out = await clients.ssm.send(new GetParameterCommand({ Name: ref.parameter, WithDecryption: false }));
    if (!out.Parameter?.ARN) throw new Error('no ARN in GetParameter');
    return out.Parameter.ARN;
  } catch (err) {
    failure(err, ref, field);
  }
}

/** A map of env values with every reference resolved: plain strings as they are. */
export async function resolveEnvValues(clients: SecretClients, env: Record<string, EnvValue> | undefined, field: string): Promise<ResolvedEnv> {
  const out: ResolvedEnv = { env: {}, secrets: [] };
  for (const [name, value] of Object.entries(env ?? {})) {
    if (typeof value === 'string') out.env[name] = value;
    else if ('plain' in value) out.env[name] = value.plain;
    else {
      const resolved = await resolveSecretValue(clients, value, `${field}.${name}`);
      out.env[name] = resolved;
      out.secrets.push(resolved);
    }
  }
  return out;
}

/** An environment for a subprocess, and which of its values came from secrets (to mask them). */
export interface ResolvedEnv {
  env: Record<string, string>;
  secrets: string[];
}

/** Plain strings of an env map (an input scheduled by an older workflow carries only those). */
export function plainEnv(env: Record<string, EnvValue> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env ?? {})) {
    if (typeof value === 'string') out[name] = value;
    else if ('plain' in value) out[name] = value.plain;
  }
  return out;
}

/**
 * Masks the given secret values in text a subprocess printed (a failing script that echoes its
 * settings), before that text reaches a heartbeat, a progress signal or a failure message.
 */
export function redactor(secrets: string[]): (text: string) => string {
  // Very short values would mask half the output and protect little.
  const needles = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => needles.reduce((out, needle) => out.split(needle).join('***'), text);
}
