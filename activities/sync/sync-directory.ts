import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path, { posix } from 'node:path';
import { activityInfo, cancellationSignal, CancelledFailure, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable, retryable } from '../failures.js';
import { runDir } from '../run-dir.js';
import { attachManifestHashes } from './compile-manifest.js';
import { costLimitFailure } from './cost-guard.js';
import { walkLocalTree, TEMP_SUFFIX, type LocalFile } from './local-tree.js';
import { planSync, totals, type SyncPlan, type Totals } from './plan-sync.js';
import { readRemoteRecord, remoteRecordPath } from './remote-record.js';
import { isNoSuchFile, listRemoteTree, mkdirs } from './remote-tree.js';
import { withSftpSession, type Sftp } from './sftp-session.js';
import { journalPath, JournalWriter, readJournal } from './sync-journal.js';
import { formatBytes, SyncProgress, type SyncHeartbeat } from './sync-progress.js';
import { remoteRoot, type SftpLogin } from './sync-target.js';
import { streamToRemote } from './transfer-file.js';

export interface SyncDirectoryInput {
  login: SftpLogin;
  fileSystemId: string;
  remoteDir: string;
  localDir: string;
  stateDir: string;
  deleteExtraneous: boolean;
  parallelism: number;
  /** Epoch ms when the cost guard stops the upload. */
  deadlineMs: number;
  maxServerHours: number;
  /** Signal the workflow's progress handler listens on; passed in so this never imports it. */
  progressSignal?: string;
}

export interface SyncDirectoryResult {
  uploaded: Totals;
  deleted: Totals;
  skipped: Totals;
  deletedDirs: number;
  /** Interrupted temporary files removed (from a crashed or dropped attempt). */
  tempsRemoved: number;
  attempt: number;
  bytesPerSecond: number;
  planPath: string;
}

/**
 * Makes the remote dir mirror the local one: lists both, uploads new and changed files (temp
 * name, then rename, so no half-written file ever shows under its real name), then deletes
 * what the local side no longer has. A retry lists again and continues: a completed file
 * matches and is skipped, a half-sent one is sent again.
 */
export function syncDirectory(aws: AwsClientFactory) {
  return async (input: SyncDirectoryInput): Promise<SyncDirectoryResult> => {
    const info = activityInfo();
    const resumed = info.heartbeatDetails as Partial<SyncHeartbeat> | undefined;
    const progress = new SyncProgress('listing', input.progressSignal, undefined).start();
    const dir = runDir(input.stateDir);
    const journalFile = journalPath(dir);
    const signal = cancellationSignal();
    let stopReason: 'deadline' | undefined;
    if (resumed) log.info('resuming the upload', { attempt: info.attempt, filesDoneBefore: resumed.filesDone, bytesDoneBefore: resumed.bytesDone });

    try {
      const local = await walkLocalTree(input.localDir);
      await attachManifestHashes(input.stateDir, input.localDir, local.files);
      const record = await readRemoteRecord(remoteRecordPath(input.stateDir, input.fileSystemId, input.remoteDir));
      const journal = await readJournal(journalFile);
      const writer = await new JournalWriter(journalFile).open();
      const root = remoteRoot(input.fileSystemId, input.remoteDir);

      return await withSftpSession(aws, input.login, async (sftp) => {
        const stopCheck = (): void => {
          if (signal.aborted) throw new CancelledFailure('sync cancelled');
          if (stopReason === 'deadline') throw new Error('deadline');
        };
        const shouldStop = (): boolean => signal.aborted || stopReason === 'deadline';
        const abortSession = (): void => sftp.end();
        signal.addEventListener('abort', abortSession, { once: true });
        const deadlineTimer = setTimeout(() => {
          stopReason = 'deadline';
          sftp.end();
        }, Math.max(0, input.deadlineMs - Date.now()));
        try {
          // The home dir (the file system root) exists by definition; the sim refuses to stat it.
          await mkdirs(sftp, root, `/${input.fileSystemId}`);
          const remote = await listRemoteTree(sftp, root);
          const plan = planSync(local, remote, record, input.deleteExtraneous);
          const planPath = await writePlan(dir, info.attempt, plan);

          // This run's earlier attempts count as uploaded, not skipped, once their file matches.
          const doneBefore = plan.skip.filter((f) => journal.uploads.has(f.path));
          const skipped = plan.skip.filter((f) => !journal.uploads.has(f.path));
          const before = totals(doneBefore);
          progress.update({
            phase: 'uploading',
            filesDone: before.files,
            bytesDone: before.bytes,
            filesTotal: before.files + plan.upload.length,
            bytesTotal: before.bytes + totals(plan.upload).bytes,
          });
          log.info('sync plan', { attempt: info.attempt, upload: plan.upload.length, skip: plan.skip.length, remove: plan.remove.length, temps: plan.temps.length });

          for (const temp of plan.temps) await sftp.unlink(`${root}/${temp}`).catch(ignoreMissing);
          for (const d of plan.createDirs) await mkdirs(sftp, `${root}/${d}`, root);

          const uploadStartedAt = Date.now();
          const uploaded = await uploadAll(sftp, root, input, plan.upload, progress, writer, stopCheck, shouldStop);
          const uploadSeconds = (Date.now() - uploadStartedAt) / 1000;
          stopCheck();

          progress.update({ phase: 'deleting' });
          progress.line(`deleting ${plan.remove.length} files the local side no longer has`);
          for (const file of plan.remove) {
            stopCheck();
            await sftp.unlink(`${root}/${file.path}`).catch(ignoreMissing);
            writer.add({ op: 'delete', path: file.path, size: file.size, attempt: info.attempt });
          }
          for (const d of plan.removeDirs) {
            await sftp.rmdir(`${root}/${d}`).catch(ignoreMissing);
          }
          await writer.flush();
          const finalJournal = await readJournal(journalFile);
          return {
            uploaded: totals([...doneBefore, ...uploaded]),
            deleted: totals([...finalJournal.deletes.values()]),
            skipped: totals(skipped),
            deletedDirs: plan.removeDirs.length,
            tempsRemoved: plan.temps.length,
            attempt: info.attempt,
            bytesPerSecond: uploadSeconds > 0 ? Math.round(totals(uploaded).bytes / uploadSeconds) : 0,
            planPath,
          };
        } catch (err) {
          await writer.flush().catch(() => undefined);
          if (signal.aborted) throw new CancelledFailure('sync cancelled');
          const s = progress.state;
          const where = `after uploading ${s.filesDone} of ${s.filesTotal} files (${formatBytes(s.bytesDone)} of ${formatBytes(s.bytesTotal)})`;
          if (stopReason === 'deadline') throw costLimitFailure(input.login.serverId, input.maxServerHours, where);
          if (err instanceof ApplicationFailure || err instanceof CancelledFailure) throw err;
          if (sftp.lost) throw retryable('SftpConnectionLost', `The SFTP connection dropped ${where} (${sftp.lost}); the retry lists the remote side again and continues.`);
          if ((err as { code?: unknown }).code === 3) {
            throw nonRetryable(
              'RemotePermissionDenied',
              `The SFTP user may not write under ${root} (${(err as Error).message}): check transfer.posixUid/posixGid against the owner of that directory on EFS.`,
            );
          }
          throw err;
        } finally {
          clearTimeout(deadlineTimer);
          signal.removeEventListener('abort', abortSession);
        }
      }, signal);
    } finally {
      progress.stop();
    }
  };
}

function ignoreMissing(err: unknown): void {
  if (!isNoSuchFile(err)) throw err;
}

async function writePlan(dir: string, attempt: number, plan: SyncPlan): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'sync-plan.json');
  await writeFile(file, JSON.stringify({ attempt, writtenAt: new Date().toISOString(), ...plan }, null, 1));
  return file;
}

/** Temp name in the same dir (rename stays on one file system), kept under 255 bytes. */
export function tempName(remotePath: string, attempt: number): string {
  const dir = posix.dirname(remotePath);
  const base = posix.basename(remotePath);
  const short = Buffer.byteLength(base) > 200 ? createHash('sha1').update(base).digest('hex') : base;
  return `${dir}/.${short}.a${attempt}${TEMP_SUFFIX}`;
}

async function uploadAll(
  sftp: Sftp,
  root: string,
  input: SyncDirectoryInput,
  files: LocalFile[],
  progress: SyncProgress,
  writer: JournalWriter,
  stopCheck: () => void,
  shouldStop: () => boolean,
): Promise<LocalFile[]> {
  const attempt = activityInfo().attempt;
  const done: LocalFile[] = [];
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      stopCheck();
      const target = `${root}/${file.path}`;
      const temp = tempName(target, attempt);
      progress.line(`uploading ${file.path} (${formatBytes(file.size)})`);
      const handle = await sftp.open(temp, 'w');
      let sha256: string;
      const mtime = Math.floor(file.mtimeMs / 1000);
      try {
        sha256 = await streamToRemote(sftp, path.join(input.localDir, file.path), handle, (n) => {
          progress.state.bytesDone += n;
        }, shouldStop);
        // The mtime goes on before the rename, so a file under its real name is always complete.
        await sftp.futimes(handle, mtime, mtime).catch((err: unknown) => {
          if (sftp.lost) throw err;
          log.warn('the server refused to set mtime; the next sync compares by size and recorded hash', { path: file.path });
        });
      } finally {
        await sftp.close(handle).catch(() => undefined);
      }
      stopCheck();
      await sftp.rename(temp, target).catch(async (err: unknown) => {
        if (sftp.lost) throw err;
        // Plain SFTP v3 servers refuse to rename over an existing file (Transfer on EFS does not).
        await sftp.unlink(target).catch(ignoreMissing);
        await sftp.rename(temp, target);
      });
      writer.add({ op: 'upload', path: file.path, size: file.size, mtime, sha256, attempt });
      progress.state.filesDone += 1;
      done.push(file);
    }
  };
  const workers = Array.from({ length: Math.min(input.parallelism, Math.max(1, files.length)) }, worker);
  // Let every worker settle before reporting, so no upload runs on after the activity ends.
  const results = await Promise.allSettled(workers);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return done;
}
