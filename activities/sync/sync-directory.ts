import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { activityInfo, cancellationSignal, CancelledFailure, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable, retryable } from '../failures.js';
import { runDir } from '../run-dir.js';
import { attachManifestHashes } from './compile-manifest.js';
import { costLimitFailure } from './cost-guard.js';
import { walkLocalTree } from './local-tree.js';
import { lastVerifiedTreeFile } from './last-verified-tree.js';
import { PartialLog, partialsPath, readPartials } from './partial-uploads.js';
import { planSync, totals, treeFromRecord, type SyncPlan, type Totals } from './plan-sync.js';
import { readRemoteRecord } from './remote-record.js';
import { createDirsAsNeeded, forEachOnSessions, isNoSuchFile, listRemoteTree, mkdirs } from './remote-tree.js';
import { withSftpPool } from './sftp-session.js';
import { journalPath, JournalWriter, readJournal } from './sync-journal.js';
import { formatBytes, SyncProgress, type SyncHeartbeat } from './sync-progress.js';
import { remoteRoot, type SftpTree } from './sync-target.js';
import { resumableTemps, uploadFiles } from './upload-files.js';

export { tempName } from './upload-files.js';

export interface SyncDirectoryInput extends SftpTree {
  /** SSH connections (each its own TCP stream: what a per-connection bandwidth limit counts). */
  parallelism: number;
  /** SFTP sessions on each connection; default 2. */
  sessionsPerConnection?: number;
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
  /** Temp files an earlier attempt of this run left partly written, continued where proven. */
  tempsResumed: number;
  /** File bytes this attempt wrote to the server (a resume writes only what was not proven). */
  bytesWritten: number;
  attempt: number;
  bytesPerSecond: number;
  planPath: string;
}

/**
 * Makes the remote dir mirror the local one: lists both, uploads new and changed files (temp
 * name, then rename, so no half-written file ever shows under its real name), then deletes
 * what the local side no longer has. A retry lists again and continues: a completed file
 * matches and is skipped, a half-sent one continues from what is proven written (and is read
 * back in full before its rename).
 */
export async function syncDirectory(aws: AwsClientFactory, input: SyncDirectoryInput): Promise<SyncDirectoryResult> {
  const info = activityInfo();
  const resumed = info.heartbeatDetails as Partial<SyncHeartbeat> | undefined;
  const progress = new SyncProgress('listing', input.progressSignal, undefined).start();
  const dir = runDir(input.stateDir);
  const journalFile = journalPath(dir);
  const signal = cancellationSignal();
  let stopReason: 'deadline' | undefined;
  if (resumed) log.info('resuming the upload', { attempt: info.attempt, filesDoneBefore: resumed.filesDone, bytesDoneBefore: resumed.bytesDone });

  try {
    // The local walk runs while the SSH handshakes travel (several round trips each).
    const localReady = walkLocalTree(input.localDir).then(async (tree) => {
      await attachManifestHashes(input.stateDir, input.localDir, tree.files);
      return tree;
    });
    localReady.catch(() => undefined); // awaited below; a failed connect must not leave it unhandled
    // The run's own records are read while the first connection comes up, not before it starts.
    const stateReady = readRunState(input, journalFile, partialsPath(dir));
    stateReady.catch(() => undefined); // awaited below
    const root = remoteRoot(input.fileSystemId, input.remoteDir);
    // With a record of the last verified sync, the local walk predicts the upload before the
    // listing proves it: one connection starts at once, the rest only when the work needs them.
    // Without a record (a first sync), all start as soon as that is known.
    const needsMore = deferred();
    void stateReady.then(async ({ record, recorded }) => {
      if (!record || isBig(totals(planSync(await localReady, recorded, record, false).upload))) needsMore.resolve();
    }).catch(() => undefined);
    const shape = { connections: Math.max(1, input.parallelism), sessionsPerConnection: input.sessionsPerConnection ?? 2, restWhen: needsMore.promise };

    return await withSftpPool(aws, input.login, shape, async (pool) => {
      const sftp = pool.sessions[0]!;
      const { record, recorded, journal, writer, earlierPartials, partials } = await stateReady;
      const stopCheck = (): void => {
        if (signal.aborted) throw new CancelledFailure('sync cancelled');
        if (stopReason === 'deadline') throw new Error('deadline');
      };
      const shouldStop = (): boolean => signal.aborted || stopReason === 'deadline';
      const abortSession = (): void => pool.end();
      signal.addEventListener('abort', abortSession, { once: true });
      const deadlineTimer = setTimeout(() => {
        stopReason = 'deadline';
        pool.end();
      }, Math.max(0, input.deadlineMs - Date.now()));
      try {
        // The dirs the last verified sync saw are asked for at once, not level by level.
        const remote = await listRemoteTree(pool.sessions, root, recorded.dirs);
        // The home dir (the file system root) exists by definition; the sim refuses to stat it.
        if (remote.missingRoot) await mkdirs(sftp, root, `/${input.fileSystemId}`);
        const local = await localReady;
        const plan = planSync(local, remote, record, input.deleteExtraneous);
        // The remote side may hold less than the record says (changed behind the runbook's back).
        if (isBig(totals(plan.upload))) needsMore.resolve();
        // Temps this run proved partly written are continued, not removed.
        const liveTemps = new Set(remote.temps);
        const resumable = resumableTemps(earlierPartials, liveTemps, plan.upload, root, info.attempt);
        const adopted = new Set([...resumable.values()].map((p) => p.temp));
        const staleTemps = plan.temps.filter((t) => !adopted.has(t));
        // Written while the upload runs; awaited before the result names it.
        const planWritten = writePlan(dir, info.attempt, plan);
        planWritten.catch(() => undefined);

        // This run's earlier attempts count as uploaded, not skipped, once their file matches
        // (the partials record says which files they started, should a journal line be lost).
        const byThisRun = (f: { path: string }): boolean => journal.uploads.has(f.path) || earlierPartials.has(f.path);
        const doneBefore = plan.skip.filter(byThisRun);
        const skipped = plan.skip.filter((f) => !byThisRun(f));
        const before = totals(doneBefore);
        progress.update({
          phase: 'uploading',
          filesDone: before.files,
          bytesDone: before.bytes,
          filesTotal: before.files + plan.upload.length,
          bytesTotal: before.bytes + totals(plan.upload).bytes,
        });
        log.info('sync plan', { attempt: info.attempt, upload: plan.upload.length, skip: plan.skip.length, remove: plan.remove.length, temps: staleTemps.length, resumable: resumable.size });

        await forEachOnSessions(pool.sessions, staleTemps, 32, (temp, s) => s.unlink(`${root}/${temp}`).catch(ignoreMissing));
        // Dirs are made as the upload goes: a file waits only for its own dir's chain.
        const dirs = createDirsAsNeeded(pool.sessions, root, plan.createDirs);

        const uploadStartedAt = Date.now();
        const { done: uploaded, bytesWritten } = await uploadFiles(pool.sessions, plan.upload, {
          localDir: input.localDir,
          root,
          attempt: info.attempt,
          progress,
          journal: writer,
          partials,
          resumable,
          onJoin: pool.onJoin,
          dirReady: dirs.ready,
          shouldStop: () => shouldStop() || pool.lost !== undefined,
        });
        await dirs.all();
        const uploadSeconds = (Date.now() - uploadStartedAt) / 1000;
        stopCheck();
        if (pool.lost) throw new Error(`SFTP connection lost (${pool.lost})`);

        progress.update({ phase: 'deleting' });
        progress.line(`deleting ${plan.remove.length} files the local side no longer has`);
        await forEachOnSessions(pool.sessions, plan.remove, 32, async (file, s) => {
          stopCheck();
          await s.unlink(`${root}/${file.path}`).catch(ignoreMissing);
          void writer.add({ op: 'delete', path: file.path, size: file.size, attempt: info.attempt });
        });
        for (const d of plan.removeDirs) {
          await sftp.rmdir(`${root}/${d}`).catch(ignoreMissing);
        }
        await writer.flush();
        await partials.flush();
        const planPath = await planWritten;
        const finalJournal = await readJournal(journalFile);
        return {
          uploaded: totals([...doneBefore, ...uploaded]),
          deleted: totals([...finalJournal.deletes.values()]),
          skipped: totals(skipped),
          deletedDirs: plan.removeDirs.length,
          tempsRemoved: staleTemps.length,
          tempsResumed: resumable.size,
          bytesWritten,
          attempt: info.attempt,
          bytesPerSecond: uploadSeconds > 0 ? Math.round(totals(uploaded).bytes / uploadSeconds) : 0,
          planPath,
        };
      } catch (err) {
        await writer.flush().catch(() => undefined);
        await partials.flush();
        if (signal.aborted) throw new CancelledFailure('sync cancelled');
        const s = progress.state;
        const where = `after uploading ${s.filesDone} of ${s.filesTotal} files (${formatBytes(s.bytesDone)} of ${formatBytes(s.bytesTotal)})`;
        if (stopReason === 'deadline') throw costLimitFailure(input.login.serverId, input.maxServerHours, where);
        if (err instanceof ApplicationFailure || err instanceof CancelledFailure) throw err;
        if (pool.lost) throw retryable('SftpConnectionLost', `The SFTP connection dropped ${where} (${pool.lost}); the retry lists the remote side again and continues.`);
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
}

/** What this target's last verified sync recorded, and what this run's earlier attempts did. */
async function readRunState(input: SyncDirectoryInput, journalFile: string, partialFile: string) {
  const [record, journal, writer, earlierPartials, partials] = await Promise.all([
    readRemoteRecord(lastVerifiedTreeFile(input.stateDir, input.fileSystemId, input.remoteDir)),
    readJournal(journalFile),
    new JournalWriter(journalFile).open(),
    readPartials(partialFile),
    new PartialLog(partialFile).open(),
  ]);
  return { record, recorded: treeFromRecord(record), journal, writer, earlierPartials, partials };
}

/**
 * More than one connection's two sessions carry in well under a second on a fast link, or than
 * the handshakes of the others (ten round trips each) would cost on a slow one. Fewer do not pay
 * for their handshakes: on 2 cores, 4 connections opened for a 13 MiB upload slowed the first
 * handshake and the listing more than they sped the upload (0.40 s became 0.65 s).
 */
function isBig(upload: Totals): boolean {
  return upload.bytes > 32 * 1024 * 1024 || upload.files > 64;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
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
