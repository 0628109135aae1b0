import path from 'node:path';
import { AbortMultipartUploadCommand, DeleteObjectsCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { activityInfo, cancellationSignal, CancelledFailure, log } from '@temporalio/activity';
import type { AwsClientFactory, AwsTarget } from '../aws/clients.js';
import { rethrowAws } from '../aws/errors.js';
import { runDir } from '../run-dir.js';
import { walkLocalTree } from '../sync/local-tree.js';
import type { Totals } from '../sync/plan-sync.js';
import { formatBytes, SyncProgress } from '../sync/sync-progress.js';
import { contentTypeFor } from './content-type.js';
import { estimateS3Cost, noRequests, type S3Requests } from './cost.js';
import { digestFile, type FileDigest } from './file-digest.js';
import { UploadJournal } from './journal.js';
import { keyFor, listPrefix } from './keys.js';
import { uploadMultipart } from './multipart.js';
import { putFile } from './put-file.js';
import { listRemote, remoteChecksum } from './remote-listing.js';
import { runBounded } from './run-bounded.js';
import { writeJsonFile } from '../json-file.js';

export interface S3SyncInput {
  aws: AwsTarget;
  bucket: string;
  prefix: string;
  localDir: string;
  stateDir: string;
  website: boolean;
  deleteExtraneous: boolean;
  parallelism: number;
  multipartThresholdBytes: number;
  partSizeBytes: number;
  /** When the workflow run began: multipart uploads under the prefix begun since then for a key this run sends are this run's. */
  runStartedAt: string;
  progressSignal?: string;
  /** Compare with the bucket and say what would be uploaded and deleted; write nothing. */
  dryRun?: boolean;
}

/** A dry run's answer: the totals of the report, and which paths (the first few). */
export interface S3SyncPlan {
  upload: string[];
  delete: string[];
  /** Paths beyond those listed, so a big plan never fills the workflow history. */
  more: { upload: number; delete: number };
}

export interface S3SyncReport {
  uploaded: Totals;
  skipped: Totals;
  deleted: Totals;
  /** Multipart uploads resumed from parts an earlier attempt sent, and the bytes not sent again. */
  resumedUploads: number;
  bytesReused: number;
  /** Multipart uploads of this run left open (a crash, a changed file) and aborted at the end. */
  abortedUploads: number;
  requests: S3Requests;
  /** USD: this run's requests, and a month of storing the tree. */
  estimatedCost: { requests: number; storagePerMonth: number };
  attempt: number;
  bytesPerSecond: number;
  /** Dry runs only: what `uploaded` and `deleted` would be, by path. */
  plan?: S3SyncPlan;
}

const PLAN_PATHS = 50;

/** Where the sync leaves the local digests for the verify activity: the run's dir, not history. */
export const digestManifest = (stateDir: string): string => path.join(runDir(stateDir), 's3-local-digests.json');

export interface DigestEntry {
  path: string;
  size: number;
  /** What S3 reports as ChecksumSHA256 for the object once uploaded by this sync. */
  checksum: string;
}

/**
 * Mirrors the local tree into `s3://bucket/prefix/`: uploads only files whose size or SHA-256
 * differs from the object's (S3's own ChecksumSHA256, read with HeadObject), in parallel, large
 * ones in resumable parts; deletes what the local tree lacks only with deleteExtraneous; aborts
 * this run's abandoned multipart uploads, which S3 bills as storage until aborted.
 */
export async function syncS3Prefix(aws: AwsClientFactory, input: S3SyncInput): Promise<S3SyncReport> {
  const s3 = aws(input.aws).s3;
  const signal = cancellationSignal();
  const requests = noRequests();
  const progress = new SyncProgress('listing', input.progressSignal, undefined).start();
  const checkCancel = (): void => {
    if (signal.aborted) throw new CancelledFailure('sync cancelled');
  };
  try {
    const tree = await walkLocalTree(input.localDir);
    const remote = await listRemote(s3, input.bucket, input.prefix, requests, signal);
    checkCancel();

    // Local digests (one read per file) and, where the sizes agree, S3's checksum to compare.
    const digests = new Map<string, FileDigest>();
    const toSend: { path: string; size: number }[] = [];
    const skipped: Totals = { files: 0, bytes: 0 };
    progress.update({ filesTotal: tree.files.length, bytesTotal: tree.files.reduce((s, f) => s + f.size, 0) });
    progress.line(`comparing ${tree.files.length} files with ${input.bucket}/${listPrefix(input.prefix)}`);
    await runBounded(tree.files, input.parallelism, async (f) => {
      checkCancel();
      const multipart = f.size >= input.multipartThresholdBytes;
      const digest = await digestFile(path.join(input.localDir, f.path), f.size, multipart ? input.partSizeBytes : undefined);
      digests.set(f.path, digest);
      const there = remote.get(f.path);
      const expected = multipart ? digest.composite : digest.sha256;
      const same = there !== undefined && there.size === f.size
        && (await remoteChecksum(s3, input.bucket, there.key, requests, signal)) === expected;
      if (same) {
        skipped.files += 1;
        skipped.bytes += f.size;
      } else {
        toSend.push(f);
      }
    });
    checkCancel();
    const local = new Set(tree.files.map((f) => f.path));
    const extra = input.deleteExtraneous ? [...remote.entries()].filter(([rel]) => !local.has(rel)) : [];
    if (input.dryRun) return dryRunReport(toSend, extra.map(([rel, o]) => ({ path: rel, size: o.size })), skipped, requests, activityInfo().attempt);

    const uploaded: Totals = { files: 0, bytes: 0 };
    const bytesToSend = toSend.reduce((s, f) => s + f.size, 0);
    progress.update({ phase: 'uploading', filesDone: 0, filesTotal: toSend.length, bytesDone: 0, bytesTotal: bytesToSend });
    progress.line(`uploading ${toSend.length} files (${formatBytes(bytesToSend)}); ${skipped.files} unchanged`);
    const journal = await UploadJournal.load(runDir(input.stateDir));
    let resumedUploads = 0;
    let bytesReused = 0;
    await runBounded(toSend, input.parallelism, async (f) => {
      checkCancel();
      const digest = digests.get(f.path) as FileDigest;
      const key = keyFor(input.prefix, f.path);
      const file = path.join(input.localDir, f.path);
      const contentType = input.website ? contentTypeFor(f.path) : undefined;
      if (f.size >= input.multipartThresholdBytes) {
        const r = await uploadMultipart(s3, { bucket: input.bucket, key, file, size: f.size, partSize: input.partSizeBytes, digest, ...(contentType ? { contentType } : {}) }, journal, requests, {
          abortSignal: signal,
          onBytes: (n) => progress.update({ bytesDone: progress.state.bytesDone + n }),
        });
        if (r.partsReused > 0) {
          resumedUploads += 1;
          bytesReused += r.bytesReused;
        }
      } else {
        await putFile(s3, { bucket: input.bucket, key, file, size: f.size, sha256: digest.sha256, ...(contentType ? { contentType } : {}) }, requests, signal);
        progress.update({ bytesDone: progress.state.bytesDone + f.size });
      }
      uploaded.files += 1;
      uploaded.bytes += f.size;
      progress.update({ filesDone: uploaded.files });
      progress.line(`uploaded ${f.path}`);
    });

    const deleted: Totals = { files: 0, bytes: 0 };
    if (extra.length > 0) {
      progress.update({ phase: 'deleting' });
      for (let i = 0; i < extra.length; i += 1000) {
        checkCancel();
        const batch = extra.slice(i, i + 1000);
        requests.delete += 1;
        try {
          const res = await s3.send(new DeleteObjectsCommand({ Bucket: input.bucket, Delete: { Objects: batch.map(([, o]) => ({ Key: o.key })), Quiet: true } }), { abortSignal: signal });
          if (res.Errors && res.Errors.length > 0) {
            const e = res.Errors[0];
            throw Object.assign(new Error(`${res.Errors.length} objects not deleted, first ${e?.Key}: ${e?.Message}`), { name: e?.Code ?? 'DeleteFailed' });
          }
        } catch (err) {
          rethrowAws(err, `deleting ${batch.length} objects the local tree no longer has from s3://${input.bucket}/${listPrefix(input.prefix)}`);
        }
        for (const [, o] of batch) {
          deleted.files += 1;
          deleted.bytes += o.size;
        }
      }
    }

    const abortedUploads = await abortAbandoned(s3, input, journal, new Set(toSend.map((f) => keyFor(input.prefix, f.path))), requests);

    const manifest: DigestEntry[] = tree.files.map((f) => {
      const d = digests.get(f.path) as FileDigest;
      return { path: f.path, size: f.size, checksum: f.size >= input.multipartThresholdBytes ? (d.composite as string) : d.sha256 };
    });
    // Atomic: a crash mid-write must not leave the verify a torn manifest to fail on.
    await writeJsonFile(digestManifest(input.stateDir), manifest);

    const report: S3SyncReport = {
      uploaded,
      skipped,
      deleted,
      resumedUploads,
      bytesReused,
      abortedUploads,
      requests,
      estimatedCost: estimateS3Cost(requests, tree.files.reduce((s, f) => s + f.size, 0)),
      attempt: activityInfo().attempt,
      bytesPerSecond: progress.state.bytesPerSecond,
    };
    log.info('S3 sync done', { ...report });
    return report;
  } catch (err) {
    if (signal.aborted) throw new CancelledFailure('sync cancelled');
    throw err;
  } finally {
    progress.stop();
  }
}

/** What a dry run says: the files that differ and the objects deleteExtraneous would remove. */
function dryRunReport(send: { path: string; size: number }[], remove: { path: string; size: number }[], skipped: Totals, requests: S3Requests, attempt: number): S3SyncReport {
  const sum = (xs: { size: number }[]): Totals => ({ files: xs.length, bytes: xs.reduce((s, f) => s + f.size, 0) });
  const paths = (xs: { path: string }[]): string[] => xs.map((f) => f.path).sort().slice(0, PLAN_PATHS);
  const report: S3SyncReport = {
    uploaded: sum(send),
    skipped,
    deleted: sum(remove),
    resumedUploads: 0,
    bytesReused: 0,
    abortedUploads: 0,
    requests,
    // The real run repeats the comparison and adds at least one PUT per file that differs.
    estimatedCost: estimateS3Cost({ ...requests, put: requests.put * 2 + send.length }, 0),
    attempt,
    bytesPerSecond: 0,
    plan: { upload: paths(send), delete: paths(remove), more: { upload: Math.max(0, send.length - PLAN_PATHS), delete: Math.max(0, remove.length - PLAN_PATHS) } },
  };
  log.info('S3 sync dry run planned', { upload: report.uploaded, delete: report.deleted, skip: skipped });
  return report;
}

/**
 * Aborts the multipart uploads this run left open: those in its journal, and any under the
 * prefix begun since the run started for a key it sends (a crash right after
 * CreateMultipartUpload, before the journal write). Uploads of other runs are left alone.
 */
async function abortAbandoned(s3: S3Client, input: S3SyncInput, journal: UploadJournal, keys: Set<string>, requests: S3Requests): Promise<number> {
  const since = Date.parse(input.runStartedAt);
  const targets = new Map<string, string>(journal.all().map((u) => [u.uploadId, u.key]));
  try {
    let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
    for (;;) {
      requests.put += 1;
      const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: input.bucket, Prefix: listPrefix(input.prefix), ...markers }));
      for (const u of page.Uploads ?? []) {
        if (!u.Key || !u.UploadId) continue;
        if (keys.has(u.Key) && u.Initiated !== undefined && u.Initiated.getTime() >= since - 1000) targets.set(u.UploadId, u.Key);
      }
      if (!page.IsTruncated) break;
      markers = { ...(page.NextKeyMarker ? { KeyMarker: page.NextKeyMarker } : {}), ...(page.NextUploadIdMarker ? { UploadIdMarker: page.NextUploadIdMarker } : {}) };
    }
    for (const [uploadId, key] of targets) {
      requests.delete += 1;
      await s3.send(new AbortMultipartUploadCommand({ Bucket: input.bucket, Key: key, UploadId: uploadId })).catch((err: unknown) => {
        if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
      });
      await journal.remove(key);
    }
  } catch (err) {
    rethrowAws(err, `aborting this run's unfinished multipart uploads under s3://${input.bucket}/${listPrefix(input.prefix)}`);
  }
  if (targets.size > 0) log.info('aborted abandoned multipart uploads', { count: targets.size });
  return targets.size;
}
