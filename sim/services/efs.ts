import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AwsError } from '../errors.js';
import { regional } from '../regions.js';
import { ACCOUNT_ID, newFileSystemId } from '../ids.js';
import { epochSeconds, now } from '../clock.js';
import { diskUsage } from '../disk-usage.js';
import { readBody, send } from '../http-util.js';
import { Input, jsonDialect } from '../protocols/input.js';
import { parseJsonBody } from '../protocols/json.js';
import { paginate } from '../pagination.js';
import { runOperation } from '../operation.js';
import type { RestService } from '../protocols/types.js';
import type { SimContext } from '../context.js';
import type { EfsFileSystem } from '../state.js';

const PREFIX = '/2015-02-01/';
const badRequest = (message: string): AwsError => new AwsError('BadRequest', message, 400, { ErrorCode: 'BadRequest' });
const notFound = (id: string): AwsError =>
  new AwsError('FileSystemNotFound', `File system '${id}' does not exist.`, 404, { ErrorCode: 'FileSystemNotFound' });

const dialect = {
  ...jsonDialect('BadRequest'),
  missing: (name: string) => badRequest(`${name} is required`),
};

async function describe(ctx: SimContext, fs: EfsFileSystem): Promise<Record<string, unknown>> {
  const size = await diskUsage(join(ctx.stateDir, 'efs', fs.fileSystemId));
  const name = fs.tags.find((t) => t.Key === 'Name')?.Value;
  return {
    OwnerId: ACCOUNT_ID,
    CreationToken: fs.creationToken,
    FileSystemId: fs.fileSystemId,
    FileSystemArn: `arn:aws:elasticfilesystem:${ctx.region}:${ACCOUNT_ID}:file-system/${fs.fileSystemId}`,
    CreationTime: epochSeconds(fs.createdAt),
    LifeCycleState: 'available',
    Name: name,
    NumberOfMountTargets: 0,
    SizeInBytes: { Value: size, Timestamp: epochSeconds(now()), ValueInStandard: size, ValueInIA: 0, ValueInArchive: 0 },
    PerformanceMode: fs.performanceMode,
    Encrypted: fs.encrypted,
    ThroughputMode: fs.throughputMode,
    Tags: fs.tags,
    FileSystemProtection: { ReplicationOverwriteProtection: 'ENABLED' },
  };
}

function json(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  send(res, status, { 'content-type': 'application/json', 'x-amzn-requestid': requestId }, body === undefined ? undefined : JSON.stringify(body));
}

function maxItems(url: URL): number {
  const raw = url.searchParams.get('MaxItems');
  if (raw === null) return 100;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw badRequest('MaxItems must be a positive integer');
  return Number(raw);
}

const invalidMarker = (): AwsError => badRequest('Invalid Marker');

export const efsService: RestService = {
  name: 'efs',
  signingName: 'elasticfilesystem',
  operations: ['CreateFileSystem', 'DescribeFileSystems', 'DeleteFileSystem', 'DescribeMountTargets', 'PutFileSystemPolicy', 'DescribeFileSystemPolicy'],
  matches: (_req, path) => path.startsWith(PREFIX),
  renderError(res: ServerResponse, err: AwsError, requestId: string): void {
    send(res, err.status, { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amzn-errortype': err.code },
      JSON.stringify({ ErrorCode: err.code, Message: err.message, message: err.message, ...err.extra }));
  },
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, ctx: SimContext, requestId: string): Promise<void> {
    const path = url.pathname.slice(PREFIX.length).replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    const fileSystems = regional(ctx).efs.fileSystems;
    const body = await readBody(req);

    if (method === 'POST' && path === 'file-systems') {
      const input = new Input(parseJsonBody(body), dialect);
      await runOperation(ctx, 'efs', 'CreateFileSystem', async () => {
        const token = input.str('CreationToken');
        if (token.length < 1 || token.length > 64) throw badRequest('CreationToken must be 1 to 64 characters');
        const existing = Object.values(fileSystems).find((f) => f.creationToken === token);
        if (existing) {
          throw new AwsError('FileSystemAlreadyExists', `File system '${existing.fileSystemId}' already exists with creation token '${token}'`, 409,
            { ErrorCode: 'FileSystemAlreadyExists', FileSystemId: existing.fileSystemId });
        }
        const performanceMode = input.optStr('PerformanceMode') ?? 'generalPurpose';
        if (!['generalPurpose', 'maxIO'].includes(performanceMode)) throw badRequest(`Invalid PerformanceMode: ${performanceMode}`);
        const fs: EfsFileSystem = {
          fileSystemId: newFileSystemId(),
          creationToken: token,
          createdAt: now(),
          performanceMode,
          throughputMode: input.optStr('ThroughputMode') ?? 'bursting',
          encrypted: input.optBool('Encrypted') ?? false,
          tags: input.tags() ?? [],
        };
        await mkdir(join(ctx.stateDir, 'efs', fs.fileSystemId), { recursive: true });
        fileSystems[fs.fileSystemId] = fs;
        json(res, 201, await describe(ctx, fs), requestId);
      });
      return;
    }

    if (method === 'GET' && path === 'file-systems') {
      await runOperation(ctx, 'efs', 'DescribeFileSystems', async () => {
        const id = url.searchParams.get('FileSystemId');
        const token = url.searchParams.get('CreationToken');
        let list = Object.values(fileSystems).sort((a, b) => a.createdAt - b.createdAt);
        if (id !== null) {
          list = list.filter((f) => f.fileSystemId === id);
          if (list.length === 0) throw notFound(id);
        }
        if (token !== null) list = list.filter((f) => f.creationToken === token);
        const marker = url.searchParams.get('Marker') ?? undefined;
        const { page, next } = paginate(list, maxItems(url), marker, invalidMarker);
        json(res, 200, { Marker: marker, NextMarker: next, FileSystems: await Promise.all(page.map((f) => describe(ctx, f))) }, requestId);
      });
      return;
    }

    const del = /^file-systems\/([^/]+)$/.exec(path);
    if (method === 'DELETE' && del) {
      await runOperation(ctx, 'efs', 'DeleteFileSystem', async () => {
        const id = decodeURIComponent(del[1] as string);
        if (!fileSystems[id]) throw notFound(id);
        delete fileSystems[id];
        await rm(join(ctx.stateDir, 'efs', id), { recursive: true, force: true });
        json(res, 204, undefined, requestId);
      });
      return;
    }

    // The resource policy Transfer's sessions are checked against along with the user's role.
    const policy = /^file-systems\/([^/]+)\/policy$/.exec(path);
    if (policy && (method === 'PUT' || method === 'GET')) {
      const id = decodeURIComponent(policy[1] as string);
      if (method === 'PUT') {
        const input = new Input(parseJsonBody(body), dialect);
        await runOperation(ctx, 'efs', 'PutFileSystemPolicy', () => {
          const fs = fileSystems[id];
          if (!fs) throw notFound(id);
          const text = input.str('Policy');
          let parsed: { Statement?: unknown } | undefined;
          try {
            parsed = JSON.parse(text) as { Statement?: unknown };
          } catch {
            parsed = undefined;
          }
          if (!parsed || typeof parsed !== 'object' || parsed.Statement === undefined) {
            throw new AwsError('InvalidPolicyException', 'Policy contains invalid Json or is missing Statement.', 400, { ErrorCode: 'InvalidPolicyException' });
          }
          fs.policy = text;
          json(res, 200, { FileSystemId: id, Policy: text }, requestId);
        });
        return;
      }
      await runOperation(ctx, 'efs', 'DescribeFileSystemPolicy', () => {
        const fs = fileSystems[id];
        if (!fs) throw notFound(id);
        if (fs.policy === undefined) throw new AwsError('PolicyNotFound', 'No File System Policy found.', 404, { ErrorCode: 'PolicyNotFound' });
        json(res, 200, { FileSystemId: id, Policy: fs.policy }, requestId);
      });
      return;
    }

    if (method === 'GET' && path === 'mount-targets') {
      await runOperation(ctx, 'efs', 'DescribeMountTargets', () => {
        const id = url.searchParams.get('FileSystemId');
        const mt = url.searchParams.get('MountTargetId');
        const ap = url.searchParams.get('AccessPointId');
        if (id === null && mt === null && ap === null) throw badRequest('Must specify exactly one mutually exclusive parameter.');
        if (id !== null && !fileSystems[id]) throw notFound(id);
        if (mt !== null) throw new AwsError('MountTargetNotFound', `Mount target '${mt}' does not exist.`, 404, { ErrorCode: 'MountTargetNotFound' });
        // The sim has no VPC: file systems have no mount targets (Transfer reaches EFS directly).
        json(res, 200, { MountTargets: [] }, requestId);
      });
      return;
    }

    const op = `${method} ${PREFIX}${path}`;
    throw new AwsError('UnknownOperationException', `The sim's EFS does not implement ${op}`, 404);
  },
};
