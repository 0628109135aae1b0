import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities as Acts } from '../activities/index.js';
import type { SyncSettings } from '../activities/sync/check-sync-prerequisites.js';
import type { DryRunPlan } from '../activities/sync/plan-dry-run.js';
import type { Totals } from '../activities/sync/plan-sync.js';
import type { ProvisionedServer } from '../activities/sync/provision-sftp-server.js';
import type { SyncDirectoryResult } from '../activities/sync/sync-directory.js';
import type { TeardownResult } from '../activities/sync/teardown-sftp-server.js';
import type { VerifyResult } from '../activities/sync/verify-remote-tree.js';
import { awsCall, dataTransferRetry, restartAfterSync, teardownOptions } from './activity-options.js';
import { parseInput } from './inputs.js';
import { endingStatusOnError, startingView } from './status-view.js';
import { createNotifier } from './notifier.js';
import { estimateCost, serverDeadline } from './sync-cost.js';
import { syncInputSchema, type SyncInput } from './sync-input.js';
import { syncProgressSignal, syncStatusQuery, type SyncStatus } from './sync-status.js';
import { Patches } from './patches.js';
import { innermostMessage } from './failure-message.js';
import { runS3Sync, type S3SyncOutcome } from './sync-s3.js';
import { restartForNewData } from './sync-restart.js';

/** Teardown stops the bill: retried for about an hour; it runs in a non-cancellable scope, so cancellation never reaches it. */
const teardownActivity = teardownOptions(60);

const { loadSiteConfig, checkSyncPrerequisites, planDryRun, checkLocalTreeUnchanged, provisionSftpServer, createSftpUser } = proxyActivities<Acts>(awsCall);
const { teardownSftpServer } = proxyActivities<Acts>(teardownActivity);

/** The long, heartbeating activities, timed from the config (tests use seconds, AWS minutes). */
function longActivities(s: SyncSettings) {
  const retry = dataTransferRetry(s);
  const waiting = proxyActivities<Acts>({
    startToCloseTimeout: `${Math.ceil(s.onlineTimeoutMinutes * 60 + 60)} seconds`,
    // The wait heartbeats once per poll.
    heartbeatTimeout: `${Math.max(s.heartbeatTimeoutSeconds, Math.ceil(s.pollSeconds * 3))} seconds`,
    retry,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const transferring = proxyActivities<Acts>({
    // Never longer than the server may live; the cost guard inside stops it earlier.
    startToCloseTimeout: `${Math.ceil(s.maxServerHours * 3600) + 60} seconds`,
    heartbeatTimeout: `${s.heartbeatTimeoutSeconds} seconds`,
    retry,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return {
    waitForServerOnline: waiting.waitForServerOnline,
    syncDirectory: transferring.syncDirectory,
    verifyRemoteTree: transferring.verifyRemoteTree,
    ...restartAfterSync(s),
  };
}

export interface SyncResult {
  site: string;
  dryRun: boolean;
  localDir: string;
  remoteDir: string;
  fileSystemId: string;
  /** For a dry run: what would be uploaded, deleted and skipped. */
  uploaded: Totals;
  deleted: Totals;
  skipped: Totals;
  deletedDirs: number;
  serverId: string | null;
  /** From creation to confirmed deletion: what Transfer bills. */
  serverSeconds: number;
  /** Server hours at transfer.hourlyRate plus GB uploaded at transfer.perGbRate, in USD. */
  estimatedCost: number;
  verified: VerifyResult | null;
  /** Environment restarted after the upload (beanstalk.restartAfterSync). */
  restarted: string | null;
  /** Dry runs only: what the plan was compared against. */
  plan: DryRunPlan | null;
  /** Set when nothing was provisioned because the local tree is unchanged since the last verified sync: why. */
  unchangedSinceLastSync: string | null;
  /** Attempt of the upload that finished (2+ means it resumed after a crash or a drop). */
  uploadAttempt: number;
  bytesPerSecond: number;
  durationMs: number;
  /** Set for an S3 data target (data.target.kind "s3"): requests, cost, resumed and aborted uploads, verification. */
  s3?: S3SyncOutcome;
}

/**
 * Uploads the site's data dir to EFS through a Transfer Family SFTP server that exists only for
 * this run: provision (idempotent by tags) → wait ONLINE → user → sync → verify → teardown,
 * which runs whatever happened before it, cancellation included.
 */
export async function syncDataWorkflow(rawInput: SyncInput = {}): Promise<SyncResult> {
  const input = parseInput(syncInputSchema, rawInput, 'syncDataWorkflow');
  const startedAt = Date.now();
  const status: SyncStatus = {
    ...startingView(startedAt, 'wait: loading the site config'),
    workflow: 'sync',
    site: input.site ?? null,
    stage: 'starting',
    dryRun: input.dryRun ?? false,
    filesDone: 0,
    filesTotal: 0,
    bytesDone: 0,
    bytesTotal: 0,
    bytesPerSecond: 0,
    attempt: 1,
    serverId: null,
    serverCreatedAt: null,
    serverAgeMs: null,
    serverSeconds: null,
    estimatedCost: null,
    error: null,
  };
  setHandler(syncStatusQuery, () => ({
    ...status,
    elapsedMs: Date.now() - startedAt,
    asOf: new Date(Date.now()).toISOString(),
    serverAgeMs: status.serverCreatedAt && status.serverSeconds === null ? Date.now() - Date.parse(status.serverCreatedAt) : status.serverAgeMs,
  }));
  setHandler(syncProgressSignal, (p) => {
    // A late signal from the upload must not paint its numbers over a later stage.
    if (status.stage !== 'syncing' && status.stage !== 'verifying') return;
    status.filesDone = p.filesDone;
    status.filesTotal = p.filesTotal;
    status.bytesDone = p.bytesDone;
    status.bytesTotal = p.bytesTotal;
    status.bytesPerSecond = p.bytesPerSecond;
    status.attempt = p.attempt;
    status.done = p.filesDone;
    status.total = p.filesTotal;
    status.lastLine = p.lastLine;
  });

  return endingStatusOnError(
    status,
    {
      cancelled: 'none: the sync was cancelled and its server deleted',
      failed: 'fix the cause named in the error, then start the sync again (files already uploaded are kept)',
    },
    () => runSync(input, status, startedAt),
  );
}

async function runSync(input: ReturnType<typeof syncInputSchema.parse>, status: SyncStatus, startedAt: number): Promise<SyncResult> {
  const config = await loadSiteConfig({ configPath: input.configPath, site: input.site });
  status.site = config.site;
  // An S3 target needs no Transfer server: its own engine, decided once at the start.
  // A config loaded by an older build (in a history being replayed) has no data.target at all.
  const target: { kind?: string } | undefined = config.data?.target;
  if (target?.kind === 's3' && patched(Patches.s3DataTarget)) return runS3Sync(input, config, status, startedAt);
  status.stage = 'checking';
  status.nextAction = 'wait: checking the data dir, the EFS file system and the roles';
  const s = await checkSyncPrerequisites({ config, localDir: input.localDir, deleteExtraneous: input.deleteExtraneous });
  const base = { site: s.site, localDir: s.localDir, remoteDir: s.remoteDir, fileSystemId: s.fileSystemId };

  if (input.dryRun) {
    status.stage = 'planning';
    const plan = await planDryRun({ localDir: s.localDir, stateDir: s.stateDir, fileSystemId: s.fileSystemId, remoteDir: s.remoteDir, deleteExtraneous: s.deleteExtraneous });
    status.stage = 'completed';
    status.nextAction = 'none: dry run; start without dryRun to upload';
    return {
      ...base,
      dryRun: true,
      uploaded: plan.upload,
      deleted: plan.delete,
      skipped: plan.skip,
      deletedDirs: 0,
      serverId: null,
      serverSeconds: 0,
      estimatedCost: estimateCost(0, plan.upload.bytes, s),
      verified: null,
      restarted: null,
      plan,
      unchangedSinceLastSync: null,
      uploadAttempt: 0,
      bytesPerSecond: 0,
      durationMs: Date.now() - startedAt,
    };
  }

  // A server bills by the hour: none for a tree the last verified sync already put there.
  if (patched(Patches.skipUnchangedTree) && !input.force) {
    status.stage = 'planning';
    status.nextAction = 'wait: comparing the local tree with the last verified sync of this target';
    const check = await checkLocalTreeUnchanged({ localDir: s.localDir, stateDir: s.stateDir, fileSystemId: s.fileSystemId, remoteDir: s.remoteDir, deleteExtraneous: s.deleteExtraneous });
    if (check.unchanged) {
      log.info('local tree unchanged since the last verified sync; nothing provisioned', { verifiedAt: check.verifiedAt, verifiedBy: check.verifiedBy });
      status.stage = 'completed';
      status.lastLine = check.reason;
      status.nextAction = 'none: nothing changed since the last verified sync (start with "force": true to list the remote side anyway)';
      const none = { files: 0, bytes: 0 };
      return {
        ...base,
        dryRun: false,
        uploaded: none,
        deleted: none,
        skipped: { files: check.files, bytes: check.bytes },
        deletedDirs: 0,
        serverId: null,
        serverSeconds: 0,
        estimatedCost: 0,
        verified: null,
        restarted: null,
        plan: null,
        unchangedSinceLastSync: check.reason,
        uploadAttempt: 0,
        bytesPerSecond: 0,
        durationMs: Date.now() - startedAt,
      };
    }
  }

  const acts = longActivities(s);
  const { workflowId, runId } = workflowInfo();
  const owner = { workflowId, runId, site: s.site };
  const login = (serverId: string) => ({ target: s.target, serverId, userName: s.userName });
  let server: ProvisionedServer | undefined;
  let synced: SyncDirectoryResult | undefined;
  let verified: VerifyResult | undefined;
  let failure: unknown;

  try {
    status.stage = 'provisioning';
    status.nextAction = 'wait: creating the SFTP server (billed from now until it is deleted)';
    server = await provisionSftpServer({ target: s.target, owner, loggingRoleArn: s.loggingRoleArn });
    status.serverId = server.serverId;
    status.serverCreatedAt = server.createdAt;
    const deadlineMs = serverDeadline(server.createdAt, s.maxServerHours);

    status.stage = 'waiting-online';
    status.nextAction = `wait: server ${server.serverId} is starting (usually a few minutes)`;
    await acts.waitForServerOnline({
      target: s.target,
      serverId: server.serverId,
      createdAt: server.createdAt,
      pollSeconds: s.pollSeconds,
      onlineTimeoutMinutes: s.onlineTimeoutMinutes,
      deadlineMs,
      maxServerHours: s.maxServerHours,
    });

    status.stage = 'creating-user';
    await createSftpUser({
      target: s.target,
      serverId: server.serverId,
      userName: s.userName,
      roleArn: s.userRoleArn,
      fileSystemId: s.fileSystemId,
      posixUid: s.posixUid,
      posixGid: s.posixGid,
    });

    status.stage = 'syncing';
    status.nextAction = 'wait: uploading; cancel the workflow to stop (the server is deleted either way)';
    const common = {
      login: login(server.serverId),
      fileSystemId: s.fileSystemId,
      remoteDir: s.remoteDir,
      localDir: s.localDir,
      stateDir: s.stateDir,
      deleteExtraneous: s.deleteExtraneous,
      progressSignal: syncProgressSignal.name,
    };
    synced = await acts.syncDirectory({ ...common, parallelism: s.parallelism, deadlineMs, maxServerHours: s.maxServerHours });
    status.filesDone = synced.uploaded.files;
    status.bytesDone = synced.uploaded.bytes;
    status.bytesPerSecond = synced.bytesPerSecond;

    status.stage = 'verifying';
    status.done = null;
    status.total = null;
    status.lastLine = null;
    status.nextAction = `wait: checking the remote side (${s.verify})`;
    verified = await acts.verifyRemoteTree({ ...common, mode: s.verify, sample: s.verifySample });
  } catch (err) {
    failure = err;
  }

  // Compensation: whatever happened above (cancellation included), the server goes.
  status.stage = 'tearing-down';
  status.done = null;
  status.total = null;
  status.lastLine = server ? `deleting ${server.serverId}` : 'looking for a server tagged with this run';
  status.nextAction = 'wait: deleting the SFTP user and server';
  let teardown: TeardownResult | undefined;
  let teardownError: unknown;
  await CancellationScope.nonCancellable(async () => {
    try {
      teardown = await teardownSftpServer({ target: s.target, serverId: server?.serverId, owner, userName: s.userName, pollSeconds: s.pollSeconds });
    } catch (err) {
      teardownError = err;
      log.error('SFTP server teardown failed', { serverId: server?.serverId, error: innermostMessage(err) });
    }
  });
  const goneAt = teardown?.deleted.find((d) => d.serverId === server?.serverId)?.goneAt;
  const serverSeconds = server && goneAt ? Math.max(0, (Date.parse(goneAt) - Date.parse(server.createdAt)) / 1000) : 0;
  const uploadedBytes = synced?.uploaded.bytes ?? status.bytesDone;
  status.serverSeconds = serverSeconds;
  status.serverAgeMs = serverSeconds * 1000;
  status.estimatedCost = estimateCost(serverSeconds, uploadedBytes, s);

  if (teardownError !== undefined) {
    const leftover = server?.serverId ?? `tagged runbook:workflowId=${workflowId}`;
    const message =
      `The SFTP server ${leftover} could not be deleted (${innermostMessage(teardownError)}) and may still be billing: ` +
      `the janitor (npm run schedule -- create janitor) deletes it, or run "aws transfer delete-server --server-id ${server?.serverId ?? '<id>'}".`;
    // Only on this path: a run whose teardown worked records no notification commands.
    const notifier = createNotifier(config, Patches.syncServerLeft);
    if (notifier) {
      const aliveSeconds = server ? Math.max(0, (Date.now() - Date.parse(server.createdAt)) / 1000) : 0;
      notifier.emit('transfer-server-left', {
        kind: 'transfer-server-left',
        site: s.site,
        workflowId,
        serverId: leftover,
        serverSeconds: aliveSeconds,
        costSoFar: estimateCost(aliveSeconds, uploadedBytes, s),
        cause: innermostMessage(teardownError),
      });
      await notifier.settle();
    }
    if (failure === undefined) throw ApplicationFailure.create({ type: 'TeardownFailed', message, nonRetryable: true, details: [{ serverId: server?.serverId }] });
    log.error(message);
  }
  if (failure !== undefined) throw failure;
  if (!server || !synced || !verified) throw ApplicationFailure.nonRetryable('sync ended without a result', 'InternalError');

  const restarted = await restartForNewData(acts, config, s.restartEnvironment, status);

  status.stage = 'completed';
  status.nextAction = 'none: the data is on EFS and the server is deleted';
  return {
    ...base,
    dryRun: false,
    uploaded: synced.uploaded,
    deleted: synced.deleted,
    skipped: synced.skipped,
    deletedDirs: synced.deletedDirs,
    serverId: server.serverId,
    serverSeconds: Math.round(serverSeconds * 10) / 10,
    estimatedCost: estimateCost(serverSeconds, synced.uploaded.bytes, s),
    verified,
    restarted,
    plan: null,
    unchangedSinceLastSync: null,
    uploadAttempt: synced.attempt,
    bytesPerSecond: synced.bytesPerSecond,
    durationMs: Date.now() - startedAt,
  };
}

