import ssh2 from 'ssh2';
import { AwsError } from '../errors.js';
import { ACCOUNT_ID, newServerId, newSshKeyId } from '../ids.js';
import { epochSeconds, now } from '../clock.js';
import { paginate } from '../pagination.js';
import { authorize } from '../auth/authorize.js';
import { everyRegion, regional } from '../regions.js';
import type { Input } from '../protocols/input.js';
import type { SimContext } from '../context.js';
import type { ServerState, Tag, TransferServer, TransferUser } from '../state.js';

import type { JsonHandler } from '../protocols/types.js';

// Handing a role to Transfer is itself a permission (iam:PassRole), checked with this condition key.
const PASSED_TO_TRANSFER = { 'iam:PassedToService': 'transfer.amazonaws.com' };

const invalid = (message: string): AwsError => new AwsError('InvalidRequestException', message);
const notFound = (resource: string, type: string, message: string): AwsError =>
  new AwsError('ResourceNotFoundException', message, 400, { Resource: resource, ResourceType: type });

const serverArn = (ctx: SimContext, id: string): string => `arn:aws:transfer:${ctx.region}:${ACCOUNT_ID}:server/${id}`;
const userArn = (ctx: SimContext, id: string, user: string): string =>
  `arn:aws:transfer:${ctx.region}:${ACCOUNT_ID}:user/${id}/${user}`;

/** Completes STARTING/STOPPING transitions whose time has come (lazily, so restarts keep timing). */
export function advanceTransfer(ctx: Pick<SimContext, 'store'>, at = now()): void {
  const servers = everyRegion(ctx.store.state).flatMap(([, r]) => Object.values(r.transfer.servers));
  for (const server of servers) {
    if (server.deletedAt === undefined && server.pendingUntil !== undefined && at >= server.pendingUntil) {
      server.state = server.pendingOutcome ?? server.state;
      delete server.pendingUntil;
      delete server.pendingOutcome;
    }
  }
}

export function liveServer(ctx: SimContext, serverId: string): TransferServer {
  const server = regional(ctx).transfer.servers[serverId];
  if (!server || server.deletedAt !== undefined) throw notFound(serverId, 'Server', 'Unknown server');
  return server;
}

function user(server: TransferServer, userName: string): TransferUser {
  const found = server.users[userName];
  if (!found) throw notFound(userName, 'User', `Unknown user`);
  return found;
}

function checkServerId(input: Input): string {
  const id = input.str('ServerId');
  if (!/^s-([0-9a-f]{17})$/.test(id)) {
    throw invalid(`1 validation error detected: Value '${id}' at 'serverId' failed to satisfy constraint: Member must satisfy regular expression pattern: ^s-([0-9a-f]{17})$`);
  }
  return id;
}

function checkUserName(name: string): string {
  if (!/^[\w][\w@.-]{2,99}$/.test(name)) {
    throw invalid(`1 validation error detected: Value '${name}' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[\\w][\\w@.-]{2,99}$`);
  }
  return name;
}

/** Normalised `type base64` form of a public key, or an AWS-worded error. */
export function normaliseSshKey(body: string): string {
  const parsed = ssh2.utils.parseKey(body.trim());
  if (parsed instanceof Error || Array.isArray(parsed)) throw invalid('Unsupported or invalid SSH public key format');
  const pub = parsed.getPublicSSH();
  return `${parsed.type} ${pub.toString('base64')}`;
}

/** Starts (or restarts) the server's way to ONLINE, honouring injected start faults. */
function beginStarting(ctx: SimContext, server: TransferServer, operation: string): void {
  const fired = ctx.faults.fire('transfer', operation, (s) => s.serverState !== undefined);
  const outcome = fired.find((s) => s.serverState !== undefined)?.serverState;
  server.state = 'STARTING';
  if (outcome === 'STUCK_STARTING') {
    delete server.pendingUntil;
    delete server.pendingOutcome;
  } else {
    server.pendingUntil = now() + ctx.timings.transferStartMs;
    server.pendingOutcome = outcome === 'START_FAILED' ? 'START_FAILED' : 'ONLINE';
  }
}

function mergeTags(existing: Tag[], added: Tag[]): Tag[] {
  const byKey = new Map(existing.map((t) => [t.Key, t]));
  for (const t of added) byKey.set(t.Key, t);
  return [...byKey.values()];
}

function findByArn(ctx: SimContext, arn: string): { tags: Tag[]; set(tags: Tag[]): void } {
  const m = /^arn:aws:transfer:[^:]+:\d{12}:(server|user)\/(s-[0-9a-f]{17})(?:\/(.+))?$/.exec(arn);
  if (!m) throw invalid(`Invalid Arn: ${arn}`);
  const server = liveServer(ctx, m[2] as string);
  if (m[1] === 'user') {
    const u = user(server, m[3] ?? '');
    return { tags: u.tags, set: (tags) => { u.tags = tags; } };
  }
  return { tags: server.tags, set: (tags) => { server.tags = tags; } };
}

function describeUser(ctx: SimContext, server: TransferServer, u: TransferUser): Record<string, unknown> {
  return {
    Arn: userArn(ctx, server.serverId, u.userName),
    HomeDirectory: u.homeDirectory,
    HomeDirectoryMappings: u.homeDirectoryMappings,
    HomeDirectoryType: u.homeDirectoryType,
    PosixProfile: u.posixProfile,
    Role: u.role,
    SshPublicKeys: u.sshKeys.map((k) => ({ DateImported: epochSeconds(k.importedAt), SshPublicKeyBody: k.body, SshPublicKeyId: k.id })),
    Tags: u.tags,
    UserName: u.userName,
  };
}

function importKey(u: TransferUser, body: string): string {
  const normalised = normaliseSshKey(body);
  if (u.sshKeys.some((k) => normaliseSshKey(k.body) === normalised)) {
    throw new AwsError('ResourceExistsException', 'Public key already exists', 400, { Resource: u.userName, ResourceType: 'SshPublicKey' });
  }
  if (u.sshKeys.length >= 50) throw new AwsError('ResourceExistsException', 'Maximum number of SSH public keys (50) reached for user');
  const id = newSshKeyId();
  u.sshKeys.push({ id, body: body.trim(), importedAt: now() });
  return id;
}

function maxResults(input: Input): number {
  const max = input.optInt('MaxResults') ?? 1000;
  if (max < 1 || max > 1000) throw invalid(`1 validation error detected: Value '${max}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 1000`);
  return max;
}

const invalidToken = (): AwsError => new AwsError('InvalidNextTokenException', 'The NextToken is invalid');

export const transferHandlers: Record<string, JsonHandler> = {
  CreateServer(input, ctx) {
    const domain = input.optStr('Domain') ?? 'S3';
    if (domain !== 'S3' && domain !== 'EFS') throw invalid(`1 validation error detected: Value '${domain}' at 'domain' failed to satisfy constraint: Member must satisfy enum value set: [S3, EFS]`);
    const protocols = input.optStrList('Protocols') ?? ['SFTP'];
    for (const p of protocols) {
      if (!['SFTP', 'FTP', 'FTPS', 'AS2'].includes(p)) throw invalid(`Unsupported protocol: ${p}`);
    }
    const identityProviderType = input.optStr('IdentityProviderType') ?? 'SERVICE_MANAGED';
    if (!['SERVICE_MANAGED', 'API_GATEWAY', 'AWS_DIRECTORY_SERVICE', 'AWS_LAMBDA'].includes(identityProviderType)) {
      throw invalid(`1 validation error detected: Value '${identityProviderType}' at 'identityProviderType' failed to satisfy constraint: Member must satisfy enum value set: [SERVICE_MANAGED, API_GATEWAY, AWS_DIRECTORY_SERVICE, AWS_LAMBDA]`);
    }
    const endpointType = input.optStr('EndpointType') ?? 'PUBLIC';
    if (!['PUBLIC', 'VPC', 'VPC_ENDPOINT'].includes(endpointType)) throw invalid(`Unsupported EndpointType: ${endpointType}`);
    const loggingRole = input.optStr('LoggingRole');
    if (loggingRole !== undefined) authorize(ctx, 'iam:PassRole', loggingRole, PASSED_TO_TRANSFER);
    const serverId = newServerId();
    const server: TransferServer = {
      serverId,
      arn: serverArn(ctx, serverId),
      domain,
      protocols,
      identityProviderType,
      endpointType,
      loggingRole: input.optStr('LoggingRole'),
      tags: input.tags() ?? [],
      state: 'STARTING',
      createdAt: now(),
      users: {},
    };
    beginStarting(ctx, server, 'CreateServer');
    regional(ctx).transfer.servers[serverId] = server;
    return { ServerId: serverId };
  },

  DescribeServer(input, ctx) {
    const server = liveServer(ctx, checkServerId(input));
    return {
      Server: {
        Arn: server.arn,
        Domain: server.domain,
        EndpointType: server.endpointType,
        HostKeyFingerprint: ctx.hostKeyFingerprint,
        IdentityProviderType: server.identityProviderType,
        LoggingRole: server.loggingRole,
        Protocols: server.protocols,
        SecurityPolicyName: 'TransferSecurityPolicy-2018-11',
        ServerId: server.serverId,
        State: server.state,
        Tags: server.tags,
        UserCount: Object.keys(server.users).length,
        // What AWS fills in for a public, service-managed SFTP server.
        ProtocolDetails: { PassiveIp: 'AUTO', TlsSessionResumptionMode: 'ENFORCED', SetStatOption: 'DEFAULT', As2Transports: ['HTTP'] },
        IpAddressType: 'IPV4',
        ...(server.endpointType === 'PUBLIC' ? {} : { EndpointDetails: { VpcId: 'vpc-0sim0000000000000', SubnetIds: [], AddressAllocationIds: [], SecurityGroupIds: [] } }),
        S3StorageOptions: server.domain === 'S3' ? { DirectoryListingOptimization: 'ENABLED' } : undefined,
      },
    };
  },

  ListServers(input, ctx) {
    const servers = Object.values(regional(ctx).transfer.servers)
      .filter((s) => s.deletedAt === undefined)
      .sort((a, b) => a.createdAt - b.createdAt);
    const { page, next } = paginate(servers, maxResults(input), input.optStr('NextToken'), invalidToken);
    return {
      Servers: page.map((s) => ({
        Arn: s.arn, Domain: s.domain, EndpointType: s.endpointType, IdentityProviderType: s.identityProviderType,
        LoggingRole: s.loggingRole, ServerId: s.serverId, State: s.state, UserCount: Object.keys(s.users).length,
      })),
      NextToken: next,
    };
  },

  StartServer(input, ctx) {
    const server = liveServer(ctx, checkServerId(input));
    if (server.state === 'ONLINE' || server.state === 'STARTING') return {};
    if (server.state === 'STOPPING') throw invalid(`Server ${server.serverId} is STOPPING; wait for OFFLINE before starting it`);
    beginStarting(ctx, server, 'StartServer');
    return {};
  },

  StopServer(input, ctx) {
    const server = liveServer(ctx, checkServerId(input));
    if (server.state === 'OFFLINE' || server.state === 'STOPPING') return {};
    if (server.state === 'STARTING') throw invalid(`Server ${server.serverId} is STARTING; wait for ONLINE before stopping it`);
    server.state = 'STOPPING';
    server.pendingUntil = now() + ctx.timings.transferStopMs;
    server.pendingOutcome = 'OFFLINE' satisfies ServerState;
    ctx.hooks.closeSftpSessions(server.serverId);
    return {};
  },

  DeleteServer(input, ctx) {
    const server = liveServer(ctx, checkServerId(input));
    server.deletedAt = now();
    delete server.pendingUntil;
    delete server.pendingOutcome;
    ctx.hooks.closeSftpSessions(server.serverId);
    return {};
  },

  CreateUser(input, ctx) {
    const server = liveServer(ctx, checkServerId(input));
    const userName = checkUserName(input.str('UserName'));
    const role = input.str('Role');
    authorize(ctx, 'iam:PassRole', role, PASSED_TO_TRANSFER);
    const homeDirectory = input.optStr('HomeDirectory');
    if (homeDirectory !== undefined && !homeDirectory.startsWith('/')) {
      throw invalid(`1 validation error detected: Value '${homeDirectory}' at 'homeDirectory' failed to satisfy constraint: Member must satisfy regular expression pattern: (|/.*)`);
    }
    const homeDirectoryType = input.optStr('HomeDirectoryType') ?? 'PATH';
    if (homeDirectoryType !== 'PATH' && homeDirectoryType !== 'LOGICAL') throw invalid(`Unsupported HomeDirectoryType: ${homeDirectoryType}`);
    const mappings = input.optObjList('HomeDirectoryMappings')?.map((m) => ({ Entry: m.str('Entry'), Target: m.str('Target') }));
    if (homeDirectoryType === 'LOGICAL' && (mappings === undefined || mappings.length === 0)) {
      throw invalid('HomeDirectoryMappings are required when HomeDirectoryType is LOGICAL');
    }
    const posix = input.optObj('PosixProfile');
    if (server.domain === 'EFS' && posix === undefined) throw invalid('PosixProfile is required for users of servers with domain EFS');
    if (server.users[userName]) {
      throw new AwsError('ResourceExistsException', 'User already exists', 400, { Resource: userName, ResourceType: 'User' });
    }
    const posixProfile = posix === undefined ? undefined : {
      Uid: posix.int('Uid'),
      Gid: posix.int('Gid'),
      SecondaryGids: posix.optList('SecondaryGids')?.map((g) => {
        if (typeof g !== 'number') throw posix.dialect.wrongType('SecondaryGids', 'a list of integers');
        return g;
      }),
    };
    const u: TransferUser = {
      userName, role, homeDirectory, homeDirectoryType, homeDirectoryMappings: mappings, posixProfile,
      sshKeys: [], tags: input.tags() ?? [],
    };
    const keyBody = input.optStr('SshPublicKeyBody');
    if (keyBody !== undefined) importKey(u, keyBody);
    server.users[userName] = u;
    return { ServerId: server.serverId, UserName: userName };
  },

  DescribeUser(input, ctx) {
    const server = liveServer(ctx, checkServerId(input));
    return { ServerId: server.serverId, User: describeUser(ctx, server, user(server, input.str('UserName'))) };
  },

  ListUsers(input, ctx) {
    const server = liveServer(ctx, checkServerId(input));
    const users = Object.values(server.users).sort((a, b) => a.userName.localeCompare(b.userName));
    const { page, next } = paginate(users, maxResults(input), input.optStr('NextToken'), invalidToken);
    return {
      ServerId: server.serverId,
      Users: page.map((u) => ({
        Arn: userArn(ctx, server.serverId, u.userName), HomeDirectory: u.homeDirectory, HomeDirectoryType: u.homeDirectoryType,
        Role: u.role, SshPublicKeyCount: u.sshKeys.length, UserName: u.userName,
      })),
      NextToken: next,
    };
  },

  DeleteUser(input, ctx) {
    const server = liveServer(ctx, checkServerId(input));
    const u = user(server, input.str('UserName'));
    delete server.users[u.userName];
    ctx.hooks.closeSftpSessions(server.serverId, u.userName);
    return {};
  },

  ImportSshPublicKey(input, ctx) {
    const server = liveServer(ctx, checkServerId(input));
    const u = user(server, input.str('UserName'));
    const id = importKey(u, input.str('SshPublicKeyBody'));
    return { ServerId: server.serverId, SshPublicKeyId: id, UserName: u.userName };
  },

  DeleteSshPublicKey(input, ctx) {
    const server = liveServer(ctx, checkServerId(input));
    const u = user(server, input.str('UserName'));
    const keyId = input.str('SshPublicKeyId');
    const before = u.sshKeys.length;
    u.sshKeys = u.sshKeys.filter((k) => k.id !== keyId);
    if (u.sshKeys.length === before) throw notFound(keyId, 'SshPublicKey', 'Unknown SSH public key');
    return {};
  },

  TagResource(input, ctx) {
    const target = findByArn(ctx, input.str('Arn'));
    const tags = input.tags();
    if (tags === undefined) throw input.dialect.missing('Tags');
    target.set(mergeTags(target.tags, tags));
    return {};
  },

  UntagResource(input, ctx) {
    const target = findByArn(ctx, input.str('Arn'));
    const keys = input.optStrList('TagKeys');
    if (keys === undefined) throw input.dialect.missing('TagKeys');
    target.set(target.tags.filter((t) => !keys.includes(t.Key)));
    return {};
  },

  ListTagsForResource(input, ctx) {
    const arn = input.str('Arn');
    const target = findByArn(ctx, arn);
    const { page, next } = paginate(target.tags, maxResults(input), input.optStr('NextToken'), invalidToken);
    return { Arn: arn, Tags: page, NextToken: next };
  },
};
