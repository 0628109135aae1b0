import type { FollowOutcome } from './follow.js';
import { formatDuration } from './progress-view.js';
import type { DeployResult } from '../workflows/deploy.js';
import type { JanitorReport } from '../workflows/janitor.js';
import type { ReleaseResult } from '../workflows/release.js';
import type { SyncResult } from '../workflows/sync.js';

/** Prints how a run ended; the exit code is 0 only for COMPLETED. */
export function printOutcome(outcome: FollowOutcome, json: boolean): number {
  // A deploy that was rejected or never approved completes, but deployed nothing: not a success.
  const ok = outcome.status === 'COMPLETED' && (outcome.result as { deployed?: boolean } | null | undefined)?.deployed !== false;
  if (json) {
    console.log(
      JSON.stringify({
        workflowId: outcome.workflowId,
        runId: outcome.runId,
        status: outcome.status,
        result: outcome.result ?? null,
        ...(outcome.error ? { error: outcome.error } : {}),
      }),
    );
    return ok ? 0 : 1;
  }
  if (outcome.status === 'COMPLETED') {
    console.log(`${outcome.workflowId} completed`);
    printSummary(outcome.result);
    printDeploySummary(outcome.result);
    printSyncSummary(outcome.result);
    printJanitorSummary(outcome.result);
    printReleaseSummary(outcome.result);
  } else {
    console.error(`${outcome.workflowId} ended ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}`);
  }
  return ok ? 0 : 1;
}

function printSummary(result: unknown): void {
  if (!result || typeof result !== 'object') return;
  const r = result as Record<string, unknown>;
  const manifest = r.manifest as { path: string; files: number; rows: number; bytes: number } | undefined;
  const steps = r.steps as { name: string; durationMs: number; adopted: boolean; resumedFrom: number | null }[] | undefined;
  if (steps) {
    for (const s of steps) {
      const notes = [s.adopted ? 'adopted after a worker restart' : '', s.resumedFrom !== null ? `resumed from ${s.resumedFrom}` : ''].filter(Boolean);
      console.log(`  step ${s.name.padEnd(20)} ${formatDuration(s.durationMs).padStart(8)}${notes.length ? `  (${notes.join(', ')})` : ''}`);
    }
  }
  if (Array.isArray(r.figures) && r.figures.length) console.log(`  figures: ${r.figures.join(', ')}`);
  if (manifest) {
    console.log(`  manifest: ${manifest.files} files, ${manifest.rows.toLocaleString('en-US')} rows, ${(manifest.bytes / 1e6).toFixed(1)} MB → ${manifest.path}`);
  }
  if (typeof r.durationMs === 'number') console.log(`  took ${formatDuration(r.durationMs)}`);
}

/** The deploy's result: what runs now, who approved it, or why nothing was deployed. */
function printDeploySummary(result: unknown): void {
  const r = result as DeployResult | null;
  if (!r || typeof r !== 'object' || (r.mode !== 'deploy' && r.mode !== 'restart') || r.outcome === undefined) return;
  if (r.outcome === 'rejected') {
    console.log(`  NOT deployed: rejected by ${r.rejectedBy ?? '?'}: ${r.rejectionReason ?? ''}`);
    return;
  }
  if (r.outcome === 'approval-timed-out') {
    console.log('  NOT deployed: nobody approved before the approval timeout (beanstalk.approvalTimeoutHours)');
    return;
  }
  if (r.image) console.log(`  image: ${r.image.reference}${r.image.pushed ? ` (pushed as :${r.image.tag})` : ' (already in the registry)'}`);
  const env = `${r.application ?? ''}/${r.environment ?? ''}`;
  if (r.outcome === 'restarted') console.log(`  restarted app servers of ${env}, version ${r.finalHealth?.versionLabel ?? '?'}`);
  else console.log(`  ${env}: ${r.previousVersion ?? '(new environment)'} → ${r.versionLabel ?? '?'}${r.environmentCreated ? ' (environment created)' : ''}`);
  if (r.finalHealth) console.log(`  health: ${r.finalHealth.status}, ${r.finalHealth.color}${r.smoke ? `; GET ${r.smoke.url} → ${r.smoke.status}` : ''}`);
  if (r.outcome === 'deployed') console.log(`  approved: ${r.autoApproved ? 'automatically (autoApprove)' : `by ${r.approvedBy ?? '?'} at ${r.approvedAt ?? '?'}${r.approvalNote ? ` ("${r.approvalNote}")` : ''}`}`);
  if (typeof r.deployDurationMs === 'number') console.log(`  Beanstalk change to healthy: ${formatDuration(r.deployDurationMs)}`);
  if (r.eventsLog) console.log(`  Beanstalk events: ${r.eventsLog}`);
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The sync's result: what moved, what it cost, and that the server is gone. */
function printSyncSummary(result: unknown): void {
  const r = result as Partial<SyncResult> | null;
  if (!r || typeof r !== 'object' || r.uploaded === undefined || r.skipped === undefined || r.fileSystemId === undefined) return;
  const verb = r.dryRun ? 'would upload' : 'uploaded';
  console.log(`  ${r.localDir ?? '?'} → ${r.s3 ? '' : `${r.fileSystemId}:`}${r.remoteDir ?? '?'}`);
  console.log(`  ${verb} ${r.uploaded.files} files (${mb(r.uploaded.bytes)}), ${r.dryRun ? 'would delete' : 'deleted'} ${r.deleted?.files ?? 0} (${mb(r.deleted?.bytes ?? 0)}), unchanged ${r.skipped.files} (${mb(r.skipped.bytes)})`);
  if (r.s3) {
    // An S3 target: no server; what it cost is requests (and, from now on, storage).
    const { requests, estimatedCost, verified, resumedUploads, abortedUploads, plan } = r.s3;
    if (r.dryRun && plan) {
      // Compared with the bucket's objects (size, then S3's SHA-256); nothing was written.
      const list = (paths: string[], more: number): string => `${paths.join(', ')}${more ? ` and ${more} more` : ''}`;
      console.log('  dry run: compared with the bucket\'s objects by size and SHA-256; nothing was written');
      if (plan.upload.length) console.log(`  would upload: ${list(plan.upload, plan.more.upload)}`);
      if (plan.delete.length) console.log(`  would delete: ${list(plan.delete, plan.more.delete)}`);
    } else if (r.dryRun) console.log('  dry run: the bucket was checked; the comparison with its objects happens in the real sync');
    if (verified) console.log(`  verified: ${verified.files} sizes, ${verified.checksummed} S3 SHA-256 checksums`);
    if (resumedUploads) console.log(`  ${resumedUploads} multipart upload(s) resumed from parts already sent`);
    if (abortedUploads) console.log(`  ${abortedUploads} unfinished multipart upload(s) of this run aborted`);
    if (requests && estimatedCost) console.log(`  requests: ${requests.put} PUT/LIST, ${requests.get} GET/HEAD, ${requests.delete} DELETE; est. $${estimatedCost.requests.toFixed(4)} now, $${estimatedCost.storagePerMonth.toFixed(4)}/month stored`);
    return;
  }
  if (r.dryRun) {
    console.log(r.plan?.basis === 'last-sync'
      ? `  compared with the remote side as the last sync recorded it (${r.plan.recordedAt ?? '?'}); no server was created`
      : '  no earlier sync recorded on this worker, so the remote side is unknown: every file counts as new; no server was created');
    return;
  }
  if (r.unchangedSinceLastSync) {
    console.log(`  ${r.unchangedSinceLastSync}`);
    return;
  }
  if (r.verified) console.log(`  verified: ${r.verified.files} sizes, ${r.verified.checksummed} checksums (${r.verified.mode})`);
  if (r.uploadAttempt && r.uploadAttempt > 1) console.log(`  the upload resumed (attempt ${r.uploadAttempt})`);
  if (r.bytesPerSecond) console.log(`  throughput: ${mb(r.bytesPerSecond)}/s`);
  console.log(`  server ${r.serverId ?? '?'} lived ${formatDuration((r.serverSeconds ?? 0) * 1000)} and is deleted; estimated cost $${(r.estimatedCost ?? 0).toFixed(4)}`);
  if (r.restarted) console.log(`  restarted the app servers of ${r.restarted}`);
}

/** The janitor's report: every runbook server it saw, and what it did about it. */
function printJanitorSummary(result: unknown): void {
  const r = result as Partial<JanitorReport> | null;
  if (!r || typeof r !== 'object' || r.checked === undefined || !Array.isArray(r.deleted)) return;
  console.log(`  checked ${r.checked} runbook servers (max age ${r.maxAgeHours ?? '?'} h)${r.dryRun ? ' — dry run, nothing deleted' : ''}`);
  for (const d of r.deleted) console.log(`  ${r.dryRun ? 'would delete' : 'deleted'} ${d.serverId} (${d.reason}; owner ${d.workflowId ?? '?'} ${d.ownerStatus ?? ''})`);
  for (const k of r.kept ?? []) console.log(`  kept ${k.serverId} (owner ${k.workflowId ?? '?'} is running)`);
  for (const f of r.failed ?? []) console.log(`  FAILED to delete ${f.serverId}: ${f.error}`);
}

/** The release's result: one row per stage, with what its child workflow did. */
export function printReleaseSummary(result: unknown): void {
  const r = result as Partial<ReleaseResult> | null;
  if (!r || !Array.isArray(r.stages) || r.stages.length === 0 || !('sync' in r)) return;
  console.log(`  ${'stage'.padEnd(9)} ${'duration'.padStart(8)}  ${'result'.padEnd(7)} what`);
  for (const s of r.stages) {
    console.log(`  ${s.stage.padEnd(9)} ${formatDuration(s.durationMs).padStart(8)}  ${s.result.padEnd(7)} ${s.summary}`);
  }
}
