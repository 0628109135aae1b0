import { ACCOUNT_ID } from '../ids.js';
import type { Input } from '../protocols/input.js';
import type { SimContext } from '../context.js';

/**
 * The ARN an operation acts on, for the IAM check. Transfer names its servers and users, as the
 * runbook's "may I delete what I create" check asks about them; elsewhere `*`, which policies
 * granting `Resource: "*"` match. Secrets and parameters are named too, since policies commonly
 * scope reading them to a path; SNS topics are named, as publishing is granted per topic.
 */
export function resourceOf(service: string, input: Input, ctx: SimContext): string {
  // Simulating acts on the principal whose policies are read.
  if (service === 'iam' && typeof input.body.PolicySourceArn === 'string') return input.body.PolicySourceArn;
  // Role operations act on the role, as policies scoping iam:GetRole to named roles expect.
  if (service === 'iam' && typeof input.body.RoleName === 'string') return `arn:aws:iam::${ACCOUNT_ID}:role/${input.body.RoleName}`;
  if (service === 'secretsmanager' || service === 'ssm') return namedResource(service, input, ctx);
  // Publishing is granted per topic, as the runbook's policy grants it.
  if (service === 'sns') return typeof input.body.TopicArn === 'string' ? input.body.TopicArn : typeof input.body.Name === 'string' ? `arn:aws:sns:${ctx.region}:${ACCOUNT_ID}:${input.body.Name}` : '*';
  if (service !== 'transfer') return '*';
  const arn = input.body.Arn;
  if (typeof arn === 'string') return arn;
  const serverId = input.body.ServerId;
  if (typeof serverId !== 'string') return '*';
  const userName = input.body.UserName;
  const base = `arn:aws:transfer:${ctx.region}:${ACCOUNT_ID}`;
  return typeof userName === 'string' ? `${base}:user/${serverId}/${userName}` : `${base}:server/${serverId}`;
}

function namedResource(service: 'secretsmanager' | 'ssm', input: Input, ctx: SimContext): string {
  const id = input.body.SecretId ?? input.body.Name;
  if (typeof id !== 'string') return '*';
  if (id.startsWith('arn:')) return id;
  return service === 'secretsmanager'
    ? `arn:aws:secretsmanager:${ctx.region}:${ACCOUNT_ID}:secret:${id}`
    : `arn:aws:ssm:${ctx.region}:${ACCOUNT_ID}:parameter/${id.replace(/^\//, '')}`;
}
