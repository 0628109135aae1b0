import { AwsError } from '../errors.js';
import { ACCOUNT_ID } from '../ids.js';
import { now } from '../clock.js';
import { simulatePrincipalPolicy } from '../auth/simulate.js';
import type { QueryHandler, QueryService } from '../protocols/types.js';
import type { SimContext } from '../context.js';
import type { IamRole } from '../state.js';
import type { PolicyDocument } from '../auth/policy.js';

// IAM is global. Roles and instance profiles are what `eb create` looks up (and creates when
// missing); SimulatePrincipalPolicy answers from the policies the sim enforces.

const roleId = (name: string): string => `AROA${Buffer.from(name).toString('hex').toUpperCase().slice(0, 16).padEnd(16, '0')}`;

function describeRole(name: string, role: IamRole): Record<string, unknown> {
  // AWS answers the trust policy URL-encoded, as IAM stores it.
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: role.trusts }, Action: 'sts:AssumeRole' }] };
  return {
    Path: '/', RoleName: name, RoleId: roleId(name), Arn: `arn:aws:iam::${ACCOUNT_ID}:role/${name}`,
    CreateDate: new Date(role.createdAt), AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(trust)), MaxSessionDuration: 3600,
  };
}

function describeProfile(ctx: SimContext, name: string): Record<string, unknown> {
  const profile = ctx.store.state.iam.instanceProfiles[name];
  return {
    Path: '/', InstanceProfileName: name, InstanceProfileId: roleId(name).replace(/^AROA/, 'AIPA'),
    Arn: `arn:aws:iam::${ACCOUNT_ID}:instance-profile/${name}`, CreateDate: new Date(0),
    Roles: (profile?.roles ?? []).flatMap((r) => { const role = ctx.store.state.iam.roles[r]; return role ? [describeRole(r, role)] : []; }),
  };
}

const noSuchEntity = (kind: string, name: string): AwsError => new AwsError('NoSuchEntity', `The ${kind} with name ${name} cannot be found.`, 404);
const exists = (kind: string, name: string): AwsError => new AwsError('EntityAlreadyExists', `${kind} with name ${name} already exists.`, 409);

function getRole(ctx: SimContext, name: string): IamRole {
  const role = ctx.store.state.iam.roles[name];
  if (!role) throw noSuchEntity('role', name);
  return role;
}

function trustedServices(document: string): string | string[] {
  try {
    const parsed = JSON.parse(document) as { Statement?: { Principal?: { Service?: string | string[] } }[] };
    const services = (parsed.Statement ?? []).flatMap((st) => {
      const service = st.Principal?.Service;
      return service === undefined ? [] : Array.isArray(service) ? service : [service];
    });
    return services.length === 1 ? (services[0] as string) : services;
  } catch {
    throw new AwsError('MalformedPolicyDocument', 'This policy contains invalid Json');
  }
}

function policyDocument(text: string): PolicyDocument {
  try {
    const parsed = JSON.parse(text) as PolicyDocument;
    if (parsed && typeof parsed === 'object' && parsed.Statement !== undefined) return parsed;
  } catch {
    // answered below, as IAM words it
  }
  throw new AwsError('MalformedPolicyDocument', 'Syntax errors in policy.');
}

/** Whether the role an ARN names exists and its trust policy lets the service assume it. */
export function roleTrusts(ctx: Pick<SimContext, 'store'>, roleArn: string, service: string): boolean {
  const role = ctx.store.state.iam.roles[roleArn.split('/').pop() ?? roleArn];
  if (!role) return false;
  return (Array.isArray(role.trusts) ? role.trusts : [role.trusts]).includes(service);
}

const handlers: Record<string, QueryHandler> = {
  ListRoles: (_input, ctx) => ({ Roles: Object.entries(ctx.store.state.iam.roles).map(([n, r]) => describeRole(n, r)), IsTruncated: false }),
  GetRole: (input, ctx) => {
    const name = input.str('RoleName');
    return { Role: describeRole(name, getRole(ctx, name)) };
  },
  CreateRole(input, ctx) {
    const name = input.str('RoleName');
    const roles = ctx.store.state.iam.roles;
    if (roles[name]) throw exists('Role', name);
    roles[name] = { trusts: trustedServices(input.str('AssumeRolePolicyDocument')), policies: [], createdAt: now() };
    return { Role: describeRole(name, roles[name]) };
  },
  ListAttachedRolePolicies(input, ctx) {
    const role = getRole(ctx, input.str('RoleName'));
    return { AttachedPolicies: role.policies.map((arn) => ({ PolicyArn: arn, PolicyName: arn.split('/').pop() })), IsTruncated: false };
  },
  AttachRolePolicy(input, ctx) {
    const role = getRole(ctx, input.str('RoleName'));
    const arn = input.str('PolicyArn');
    if (!role.policies.includes(arn)) role.policies.push(arn);
    return {};
  },
  UpdateAssumeRolePolicy(input, ctx) {
    const role = getRole(ctx, input.str('RoleName'));
    role.trusts = trustedServices(input.str('PolicyDocument'));
    return {};
  },
  PutRolePolicy(input, ctx) {
    const role = getRole(ctx, input.str('RoleName'));
    const name = input.str('PolicyName');
    role.inline = { ...role.inline, [name]: policyDocument(input.str('PolicyDocument')) };
    return {};
  },
  GetRolePolicy(input, ctx) {
    const roleName = input.str('RoleName');
    const name = input.str('PolicyName');
    const document = getRole(ctx, roleName).inline?.[name];
    if (!document) throw noSuchEntity('role policy', name);
    return { RoleName: roleName, PolicyName: name, PolicyDocument: encodeURIComponent(JSON.stringify(document)) };
  },
  ListRolePolicies(input, ctx) {
    const role = getRole(ctx, input.str('RoleName'));
    return { PolicyNames: Object.keys(role.inline ?? {}), IsTruncated: false };
  },
  ListInstanceProfiles: (_input, ctx) => ({
    InstanceProfiles: Object.keys(ctx.store.state.iam.instanceProfiles).map((n) => describeProfile(ctx, n)), IsTruncated: false,
  }),
  GetInstanceProfile(input, ctx) {
    const name = input.str('InstanceProfileName');
    if (!ctx.store.state.iam.instanceProfiles[name]) throw noSuchEntity('instance profile', name);
    return { InstanceProfile: describeProfile(ctx, name) };
  },
  CreateInstanceProfile(input, ctx) {
    const name = input.str('InstanceProfileName');
    const profiles = ctx.store.state.iam.instanceProfiles;
    if (profiles[name]) throw exists('Instance Profile', name);
    profiles[name] = { roles: [] };
    return { InstanceProfile: describeProfile(ctx, name) };
  },
  AddRoleToInstanceProfile(input, ctx) {
    const name = input.str('InstanceProfileName');
    const profile = ctx.store.state.iam.instanceProfiles[name];
    if (!profile) throw noSuchEntity('instance profile', name);
    getRole(ctx, input.str('RoleName'));
    // An instance profile holds one role.
    if (profile.roles.length > 0) throw new AwsError('LimitExceeded', 'Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1', 409);
    profile.roles.push(input.str('RoleName'));
    return {};
  },
  SimulatePrincipalPolicy: (input, ctx) => simulatePrincipalPolicy(input, ctx),
};

export const iamService: QueryService = {
  name: 'iam',
  signingName: 'iam',
  iamPrefix: 'iam',
  namespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
  handlers,
};
