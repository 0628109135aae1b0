import { ActivityCancellationType, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities as Acts } from '../activities/index.js';
import type { SiteConfig } from '../config/load.js';
import type { S3SyncSettings } from '../activities/s3-sync/check-s3-target.js';
import type { S3SyncReport } from '../activities/s3-sync/sync-s3-prefix.js';
import type { VerifyS3Result } from '../activities/s3-sync/verify-s3-prefix.js';
import type { syncInputSchema } from './sync-input.js';
import { syncProgressSignal, type SyncStatus } from './sync-status.js';
import type { SyncResult } from './sync.js';
import { awsBackoff, dataTransferRetry, restartAfterSync } from './activity-options.js';
import { restartForNewData } from './sync-restart.js';
import { Patches } from './patches.js';

/** What the result says about an S3 target, beside the fields every sync result has. */
export interface S3SyncOutcome extends Partial<S3SyncReport> {
  bucket: string;
  prefix: string;
  verified: VerifyS3Result | null;
}

const { checkS3Target } = proxyActivities<Acts>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '1 minute', retry: awsBackoff(8) });

function longActivities(s: S3SyncSettings) {
  const retry = dataTransferRetry(s);
  // No server bills by the hour here, so the upload may take as long as the tree needs.
  const transferring = proxyActivities<Acts>({
    startToCloseTimeout: '48 hours',
    heartbeatTimeout: `${s.heartbeatTimeoutSeconds} seconds`,
    retry,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  return {
    syncS3Prefix: transferring.syncS3Prefix,
    verifyS3Prefix: transferring.verifyS3Prefix,
    ...restartAfterSync(s),
  };
}

/**
 * The data sync for an S3 target: preflight → sync the prefix → verify → (restart). No
 * Transfer server exists for it, so there is nothing to tear down; the sync itself aborts its
 * own unfinished multipart uploads.
 */
export async function runS3Sync(
  input: ReturnType<typeof syncInputSchema.parse>,
  config: SiteConfig,
  status: SyncStatus,
  startedAt: number,
): Promise<SyncResult> {
  status.stage = 'checking';
  status.nextAction = 'wait: checking the data dir and the S3 bucket';
  const s = await checkS3Target({ config, localDir: input.localDir, deleteExtraneous: input.deleteExtraneous });
  const none = { files: 0, bytes: 0 };
  const base = {
    site: s.site,
    localDir: s.localDir,
    remoteDir: s.remote,
    fileSystemId: '',
    deletedDirs: 0,
    serverId: null,
    serverSeconds: 0,
    plan: null,
    unchangedSinceLastSync: null,
  };
  const target = { aws: s.aws, bucket: s.bucket, prefix: s.prefix, stateDir: s.stateDir, deleteExtraneous: s.deleteExtraneous };
  const syncInput = {
    ...target,
    localDir: s.localDir,
    website: s.website,
    parallelism: s.parallelism,
    multipartThresholdBytes: s.multipartThresholdBytes,
    partSizeBytes: s.partSizeBytes,
    runStartedAt: workflowInfo().runStartTime.toISOString(),
    progressSignal: syncProgressSignal.name,
  };
  if (input.dryRun && patched(Patches.s3DryRunPlan)) {
    // The same comparison as the sync (sizes, then S3's checksums), stopping before any write.
    status.stage = 'planning';
    status.nextAction = `wait: comparing the local tree with ${s.remote}`;
    const plan = await longActivities(s).syncS3Prefix({ ...syncInput, dryRun: true });
    status.stage = 'completed';
    status.nextAction = `none: dry run; ${plan.uploaded.files} files would be uploaded and ${plan.deleted.files} objects deleted: start without dryRun to do it`;
    return {
      ...base,
      dryRun: true,
      uploaded: plan.uploaded,
      deleted: plan.deleted,
      skipped: plan.skipped,
      estimatedCost: plan.estimatedCost.requests,
      verified: null,
      restarted: null,
      uploadAttempt: 0,
      bytesPerSecond: 0,
      durationMs: Date.now() - startedAt,
      s3: { ...plan, bucket: s.bucket, prefix: s.prefix, verified: null },
    };
  }
  if (input.dryRun) {
    // Runs from before Patches.s3DryRunPlan stopped at the preflight and claimed the whole tree.
    status.stage = 'completed';
    status.nextAction = 'none: dry run; the preflight passed, start without dryRun to upload what differs';
    return {
      ...base,
      dryRun: true,
      uploaded: s.local,
      deleted: none,
      skipped: none,
      estimatedCost: 0,
      verified: null,
      restarted: null,
      uploadAttempt: 0,
      bytesPerSecond: 0,
      durationMs: Date.now() - startedAt,
      s3: { bucket: s.bucket, prefix: s.prefix, verified: null },
    };
  }

  const acts = longActivities(s);
  status.stage = 'syncing';
  status.nextAction = `wait: uploading what differs to ${s.remote}; cancel the workflow to stop (unfinished multipart uploads are aborted)`;
  const report = await acts.syncS3Prefix(syncInput);
  status.filesDone = report.uploaded.files;
  status.bytesDone = report.uploaded.bytes;
  status.bytesPerSecond = report.bytesPerSecond;
  status.estimatedCost = report.estimatedCost.requests;

  status.stage = 'verifying';
  status.done = null;
  status.total = null;
  status.lastLine = null;
  status.nextAction = `wait: comparing ${s.remote} with the local tree (${s.verify})`;
  const verified = await acts.verifyS3Prefix({ ...target, mode: s.verify, sample: s.verifySample });

  const restarted = await restartForNewData(acts, config, s.restartEnvironment, status);
  log.info('S3 sync verified', { remote: s.remote, uploaded: report.uploaded.files, verified: verified.files });
  status.stage = 'completed';
  status.nextAction = `none: the data is in ${s.remote}`;
  return {
    ...base,
    dryRun: false,
    uploaded: report.uploaded,
    deleted: report.deleted,
    skipped: report.skipped,
    estimatedCost: report.estimatedCost.requests,
    verified: null,
    restarted,
    uploadAttempt: report.attempt,
    bytesPerSecond: report.bytesPerSecond,
    durationMs: Date.now() - startedAt,
    s3: { ...report, bucket: s.bucket, prefix: s.prefix, verified },
  };
}
