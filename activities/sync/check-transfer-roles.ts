import { DescribeFileSystemPolicyCommand } from '@aws-sdk/client-efs';
import { GetRoleCommand, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { log } from '@temporalio/activity';
import type { AwsClients } from '../aws/clients.js';
import { nonRetryable } from '../failures.js';

const TRANSFER = 'transfer.amazonaws.com';

export interface TransferRolesInput {
  userRoleArn: string;
  loggingRoleArn?: string;
  fileSystemId: string;
  region: string;
  posixUid: number;
}

interface TrustStatement {
  Effect?: string;
  Action?: string | string[];
  Principal?: { Service?: string | string[] } | string;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const roleName = (arn: string): string => arn.split('/').pop() ?? arn;
const errorName = (err: unknown): string => (err instanceof Error ? err.name : '');

/** The services a trust policy lets assume the role (IAM answers it URL-encoded). */
export function trustedServices(document: string | undefined): string[] {
  if (!document) return [];
  let parsed: { Statement?: TrustStatement | TrustStatement[] };
  try {
    parsed = JSON.parse(decodeURIComponent(document)) as typeof parsed;
  } catch {
    return [];
  }
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
  return statements
    .filter((s) => s.Effect === 'Allow' && list(s.Action).some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*'))
    .flatMap((s) => (typeof s.Principal === 'object' ? list(s.Principal.Service) : []));
}

/**
 * Transfer assumes the user's role for every SFTP session and the logging role for its logs. A
 * role it may not assume, or one EFS refuses, shows up only as a refused login once the server
 * bills; so both are read (GetRole) and the user role's EFS access simulated before anything
 * is created. Each refusal names the role, the field and the missing piece.
 */
export async function checkTransferRoles(clients: AwsClients, input: TransferRolesInput): Promise<void> {
  await checkTrust(clients, input.userRoleArn, 'transfer.userRole');
  if (input.loggingRoleArn) await checkTrust(clients, input.loggingRoleArn, 'transfer.loggingRole');

  const account = /^arn:[\w-]+:iam::(\d{12}):/.exec(input.userRoleArn)?.[1] ?? '*';
  const partition = /^arn:([\w-]+):/.exec(input.userRoleArn)?.[1] ?? 'aws';
  const fileSystemArn = `arn:${partition}:elasticfilesystem:${input.region}:${account}:file-system/${input.fileSystemId}`;
  // Transfer maps uid 0 to root on EFS, which EFS allows only with ClientRootAccess.
  const actions = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', ...(input.posixUid === 0 ? ['elasticfilesystem:ClientRootAccess'] : [])];
  let denied: string[];
  try {
    const out = await clients.iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: input.userRoleArn, ActionNames: actions, ResourceArns: [fileSystemArn] }));
    denied = actions.filter((action) => (out.EvaluationResults ?? []).find((r) => r.EvalActionName === action)?.EvalDecision !== 'allowed');
  } catch (err) {
    throw refusalOfCheck(err, 'iam:SimulatePrincipalPolicy', input.userRoleArn, 'PreflightSimulateOwnPermissions');
  }
  if (denied.length > 0) denied = await notGrantedByFileSystemPolicy(clients, input.fileSystemId, input.userRoleArn, account, denied);
  if (denied.length > 0) {
    const why = input.posixUid === 0 && denied.includes('elasticfilesystem:ClientRootAccess') ? ' (ClientRootAccess because transfer.posixUid is 0)' : '';
    throw nonRetryable(
      'RoleNotUsable',
      `transfer.userRole: the role ${roleName(input.userRoleArn)} is not allowed ${denied.join(', ')} on ${input.fileSystemId}${why}, so its SFTP sessions could not write to EFS: ` +
        `attach AmazonElasticFileSystemClientFullAccess (or a policy granting those actions on ${fileSystemArn}) to it, or grant them to it in the file system policy; nothing was created.`,
      { field: 'transfer.userRole', role: input.userRoleArn, missing: denied },
    );
  }
  log.info('Transfer roles checked', { userRole: input.userRoleArn, loggingRole: input.loggingRoleArn, efsActions: actions });
}

interface ResourceStatement {
  Effect?: string;
  Principal?: '*' | { AWS?: string | string[] };
  Action?: string | string[];
  Condition?: unknown;
}

const glob = (pattern: string, value: string): boolean => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(value);

/**
 * EFS also grants client access through the file system policy (same account: either grant
 * suffices). Of the actions the role's own policies lack, those the file system policy grants
 * the role without conditions are dropped; a conditional grant is not counted, as it cannot be
 * proven here.
 */
async function notGrantedByFileSystemPolicy(clients: AwsClients, fileSystemId: string, roleArn: string, account: string, actions: string[]): Promise<string[]> {
  let text: string | undefined;
  try {
    text = (await clients.efs.send(new DescribeFileSystemPolicyCommand({ FileSystemId: fileSystemId }))).Policy;
  } catch (err) {
    if (errorName(err) === 'PolicyNotFound') return actions;
    throw refusalOfCheck(err, 'elasticfilesystem:DescribeFileSystemPolicy', fileSystemId, 'SyncFindFileSystem');
  }
  let statements: ResourceStatement[];
  try {
    const parsed = JSON.parse(text ?? '{}') as { Statement?: ResourceStatement | ResourceStatement[] };
    statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
  } catch {
    return actions;
  }
  const names = (p: ResourceStatement['Principal']): string[] => (p === '*' ? ['*'] : list(p?.AWS));
  const forRole = (s: ResourceStatement): boolean => names(s.Principal).some((n) => n === '*' || n === roleArn || n === account || n === `arn:aws:iam::${account}:root`);
  const applies = (s: ResourceStatement, action: string): boolean => forRole(s) && list(s.Action).some((a) => glob(a, action));
  return actions.filter((action) => {
    if (statements.some((s) => s.Effect === 'Deny' && applies(s, action))) return true;
    return !statements.some((s) => s.Effect === 'Allow' && s.Condition === undefined && applies(s, action));
  });
}

async function checkTrust(clients: AwsClients, roleArn: string, field: string): Promise<void> {
  const name = roleName(roleArn);
  let document: string | undefined;
  try {
    const out = await clients.iam.send(new GetRoleCommand({ RoleName: name }));
    document = out.Role?.AssumeRolePolicyDocument;
  } catch (err) {
    if (errorName(err) === 'NoSuchEntityException' || errorName(err) === 'NoSuchEntity') {
      throw nonRetryable('RoleNotUsable', `${field}: the role ${name} does not exist (${roleArn}): create it with a trust policy for ${TRANSFER}, or fix the name; nothing was created.`, { field, role: roleArn });
    }
    throw refusalOfCheck(err, 'iam:GetRole', roleArn, 'SyncCheckTransferRoles');
  }
  const services = trustedServices(document);
  if (!services.includes(TRANSFER)) {
    throw nonRetryable(
      'RoleNotUsable',
      `${field}: the role ${name} does not trust ${TRANSFER} (its trust policy names ${services.length ? services.join(', ') : 'no service'}), so Transfer could not assume it: ` +
        `add ${TRANSFER} to its trust policy (aws iam update-assume-role-policy) or name a role that trusts it; nothing was created.`,
      { field, role: roleArn, trusts: services },
    );
  }
}

/** The worker may not read roles: say which action and statement, not a bare AccessDenied. */
function refusalOfCheck(err: unknown, action: string, roleArn: string, statement: string): unknown {
  if (!/AccessDenied/.test(errorName(err))) return err;
  return nonRetryable(
    'MissingPermission',
    `The sync checks its Transfer roles before creating a server, but may not call ${action} on ${roleArn}: add "${action}" to statement "${statement}" of the identity's policy (docs/iam-policy.json); nothing was created.`,
    { action },
  );
}
