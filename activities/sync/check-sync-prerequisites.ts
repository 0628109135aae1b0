import { stat } from 'node:fs/promises';
import path from 'node:path';
import { DescribeEnvironmentsCommand } from '@aws-sdk/client-elastic-beanstalk';
import { log } from '@temporalio/activity';
import type { SiteConfig } from '../../config/load.js';
import type { AwsClientFactory } from '../aws/clients.js';
import { missingSection } from '../../config/stage-sections.js';
import { nonRetryable } from '../failures.js';
import { proveUndoAllowed } from '../aws/prove-permissions.js';
import { rethrowAws } from '../aws/errors.js';
import { findFileSystem } from './find-file-system.js';
import { walkLocalTree } from './local-tree.js';
import { totals, type Totals } from './plan-sync.js';
import { checkTransferRoles } from './check-transfer-roles.js';
import { resolveRoleArn } from './resolve-role.js';
import type { SyncTarget } from './sync-target.js';

export interface CheckSyncInput {
  config: SiteConfig;
  /** From the workflow input: absolute, or relative to the site dir. */
  localDir?: string;
  deleteExtraneous?: boolean;
}

/** Everything the sync needs, checked and resolved before anything billable exists. */
export interface SyncSettings {
  site: string;
  target: SyncTarget;
  stateDir: string;
  localDir: string;
  local: Totals;
  remoteDir: string;
  fileSystemId: string;
  userRoleArn: string;
  loggingRoleArn?: string;
  userName: string;
  posixUid: number;
  posixGid: number;
  deleteExtraneous: boolean;
  parallelism: number;
  verify: 'size' | 'sample' | 'all';
  verifySample: number;
  maxServerHours: number;
  hourlyRate: number;
  perGbRate: number;
  pollSeconds: number;
  onlineTimeoutMinutes: number;
  heartbeatTimeoutSeconds: number;
  retryInitialSeconds: number;
  maxAttempts: number;
  /** Beanstalk environment to restart after the upload, when `beanstalk.restartAfterSync`. */
  restartEnvironment?: string;
}

/**
 * Validates at the edge: the local data dir, the file system (by id or Name tag), the roles and
 * the environment to restart. Each failure is one sentence naming the field and the fix, and
 * comes before any server exists.
 */
export async function checkSyncPrerequisites(aws: AwsClientFactory, input: CheckSyncInput): Promise<SyncSettings> {
  const { config } = input;
  const { data, transfer, aws: awsSection } = config;
  if (!data || !transfer || !awsSection) {
    const missing = missingSection(config, 'sync');
    throw nonRetryable('InvalidConfig', missing?.message ?? `Config file ${config.configPath} lacks a section the sync needs.`, { field: missing?.section });
  }
  const target: SyncTarget = { region: awsSection.region, endpoint: awsSection.endpoint, sftpEndpoint: awsSection.sftpEndpoint };
  const clients = aws(target);

  const field = input.localDir ? 'input "localDir"' : 'data.localDir';
  const localDir = input.localDir ? path.resolve(config.siteDir, input.localDir) : data.localDir;
  const info = await stat(localDir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw nonRetryable(
      'InvalidDataDir',
      `${field} ${localDir} ${info ? 'is not a directory' : 'does not exist'}: run the compile first, or point ${field} at the directory to upload.`,
      { field },
    );
  }
  const deleteExtraneous = input.deleteExtraneous ?? data.deleteExtraneous;
  const tree = await walkLocalTree(localDir, { field });
  // A 0-byte feather is a truncated write (a full disk, a killed compile); the site would serve it.
  const emptyFeather = tree.files.find((f) => f.size === 0 && f.path.endsWith('.feather'));
  if (emptyFeather) {
    throw nonRetryable(
      'InvalidDataDir',
      `${field} ${localDir} holds "${emptyFeather.path}", an empty (0-byte) feather file: re-run the compile that writes it, or remove it.`,
      { field, path: emptyFeather.path },
    );
  }
  const local = totals(tree.files);
  if (local.files === 0 && deleteExtraneous) {
    // An empty dir with deleteExtraneous would wipe the site's data; that is never intended.
    throw nonRetryable(
      'InvalidDataDir',
      `${field} ${localDir} is empty and deleteExtraneous is on, which would delete everything under ${data.remoteDir}: check that the compile wrote its output there.`,
      { field },
    );
  }

  const where = `${awsSection.region}${awsSection.endpoint ? ` at ${awsSection.endpoint}` : ''}`;
  try {
    const fileSystemId = await findFileSystem(clients.efs, transfer.efsFileSystem, where);
    const userRoleArn = await resolveRoleArn(clients.sts, transfer.userRole, 'transfer.userRole');
    const loggingRoleArn = transfer.loggingRole ? await resolveRoleArn(clients.sts, transfer.loggingRole, 'transfer.loggingRole') : undefined;
    await checkTransferRoles(clients, { userRoleArn, ...(loggingRoleArn ? { loggingRoleArn } : {}), fileSystemId, region: target.region, posixUid: transfer.posixUid });
    let restartEnvironment: string | undefined;
    if (config.beanstalk?.restartAfterSync) {
      restartEnvironment = config.beanstalk.environment;
      const { Environments } = await clients.beanstalk.send(
        new DescribeEnvironmentsCommand({ ApplicationName: config.beanstalk.application, EnvironmentNames: [restartEnvironment], IncludeDeleted: false }),
      );
      if (!Environments?.some((e) => e.Status !== 'Terminated')) {
        throw nonRetryable(
          'EnvironmentNotFound',
          `beanstalk.environment "${restartEnvironment}" does not exist in application "${config.beanstalk.application}" (${where}), and beanstalk.restartAfterSync needs it: fix the name or set restartAfterSync to false.`,
          { field: 'beanstalk.environment' },
        );
      }
    }
    // The teardown deletes the user and the server; a server nobody may delete bills forever.
    await proveUndoAllowed(clients, 'The sync', (account) => [
      { action: 'transfer:DeleteServer', resource: `arn:aws:transfer:${target.region}:${account}:server/*`, statement: 'SyncTransferServerLifecycle' },
      { action: 'transfer:DeleteUser', resource: `arn:aws:transfer:${target.region}:${account}:user/*`, statement: 'SyncTransferServerLifecycle' },
    ]);
    log.info('sync prerequisites checked', { fileSystemId, localDir, files: local.files, bytes: local.bytes });
    return {
      site: config.site,
      target,
      stateDir: config.stateDir,
      localDir,
      local,
      remoteDir: data.remoteDir,
      fileSystemId,
      userRoleArn,
      ...(loggingRoleArn ? { loggingRoleArn } : {}),
      userName: transfer.userName,
      posixUid: transfer.posixUid,
      posixGid: transfer.posixGid,
      deleteExtraneous,
      parallelism: data.parallelism,
      verify: data.verify,
      verifySample: data.verifySample,
      maxServerHours: transfer.maxServerHours,
      hourlyRate: transfer.hourlyRate,
      perGbRate: transfer.perGbRate,
      pollSeconds: transfer.pollSeconds,
      onlineTimeoutMinutes: transfer.onlineTimeoutMinutes,
      heartbeatTimeoutSeconds: transfer.heartbeatTimeoutSeconds,
      retryInitialSeconds: transfer.retryInitialSeconds,
      maxAttempts: transfer.maxAttempts,
      ...(restartEnvironment ? { restartEnvironment } : {}),
    };
  } catch (err) {
    rethrowAws(err, 'the sync prerequisites check');
  }
}
