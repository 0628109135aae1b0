import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { activityInfo, cancellationSignal, CancelledFailure, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable, retryable } from '../failures.js';
import { runDir } from '../run-dir.js';
import { attachManifestHashes } from './compile-manifest.js';
import { walkLocalTree, type LocalFile } from './local-tree.js';
import type { RemoteFile } from './plan-sync.js';
import { lastVerifiedTreeFile } from './last-verified-tree.js';
import { readRemoteRecord, writeRemoteRecord, type RemoteRecord } from './remote-record.js';
import { listRemoteTree } from './remote-tree.js';
import { withSftpPool } from './sftp-session.js';
import { journalPath, readJournal } from './sync-journal.js';
import { formatBytes, SyncProgress } from './sync-progress.js';
import { remoteRoot, type SftpTree } from './sync-target.js';
import { hashRemote, sha256Local } from './transfer-file.js';
import { readJsonLines } from '../json-file.js';

export interface VerifyInput extends SftpTree {
  mode: 'size' | 'sample' | 'all';
  sample: number;
  progressSignal?: string;
}

export interface VerifyResult {
  mode: 'size' | 'sample' | 'all';
  /** Files whose remote size was checked (every local file). */
  files: number;
  /** Files read back and compared by sha256. */
  checksummed: number;
  recordPath: string;
}

/**
 * Lists the remote side again and checks it against the local tree: every file present with its
 * size, nothing extra (with deleteExtraneous), and a sample (or all) read back and hashed. Then
 * records what the remote side holds, for the next sync and for dry runs.
 */
export async function verifyRemoteTree(aws: AwsClientFactory, input: VerifyInput): Promise<VerifyResult> {
  const progress = new SyncProgress('verifying', input.progressSignal, undefined).start();
  const signal = cancellationSignal();
  try {
    const local = await walkLocalTree(input.localDir);
    await attachManifestHashes(input.stateDir, input.localDir, local.files);
    const journal = await readJournal(journalPath(runDir(input.stateDir)));
    const recordFile = lastVerifiedTreeFile(input.stateDir, input.fileSystemId, input.remoteDir);
    const previous = await readRemoteRecord(recordFile);
    const root = remoteRoot(input.fileSystemId, input.remoteDir);

    // A few sessions: the listing goes dir by dir in parallel (round trips, not bandwidth).
    return await withSftpPool(aws, input.login, { connections: 1, sessionsPerConnection: 4 }, async (pool) => {
      const sftp = pool.sessions[0]!;
      const onAbort = (): void => pool.end();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        // The dirs the sync just made are the local ones: all asked for at once.
        const remote = await listRemoteTree(pool.sessions, root, local.dirs);
        const remoteByPath = new Map(remote.files.map((f) => [f.path, f]));
        const problems: string[] = [];
        for (const file of local.files) {
          const r = remoteByPath.get(file.path);
          if (!r) problems.push(`${file.path} is missing`);
          else if (r.size !== file.size) problems.push(`${file.path} has ${r.size} bytes instead of ${file.size}`);
        }
        if (input.deleteExtraneous) {
          const localPaths = new Set(local.files.map((f) => f.path));
          for (const r of remote.files) if (!localPaths.has(r.path)) problems.push(`${r.path} should have been deleted`);
        }

        const chosen = chooseForChecksum(local.files, input.mode, input.sample, new Set(journal.uploads.keys()));
        const hashes = new Map<string, string>();
        // A retry after a dropped connection does not read back again what an earlier attempt
        // of this run already matched: on a link that drops every few MB, a full read-back
        // would otherwise never finish.
        const checkedFile = path.join(runDir(input.stateDir), 'verify-checked.jsonl');
        const runId = activityInfo().workflowExecution?.runId ?? '';
        const checkedBefore = await readChecked(checkedFile, runId);
        await mkdir(path.dirname(checkedFile), { recursive: true });
        progress.update({ filesTotal: chosen.length, bytesTotal: chosen.reduce((n, f) => n + f.size, 0) });
        for (const file of chosen) {
          if (signal.aborted) throw new CancelledFailure('verify cancelled');
          if (problems.some((p) => p.startsWith(`${file.path} `))) continue;
          const remoteFile = remoteByPath.get(file.path);
          const before = checkedBefore.get(file.path);
          if (before && remoteFile && before.size === remoteFile.size && before.mtime === remoteFile.mtime) {
            const localSha = file.sha256 ?? (await sha256Local(path.join(input.localDir, file.path)));
            if (localSha === before.sha256) {
              hashes.set(file.path, localSha);
              progress.state.filesDone += 1;
              progress.state.bytesDone += file.size;
              continue;
            }
          }
          progress.line(`checksumming ${file.path} (${formatBytes(file.size)})`);
          const [remoteSha, localSha] = await Promise.all([
            hashRemote(sftp, `${root}/${file.path}`, file.size, (n) => (progress.state.bytesDone += n)),
            file.sha256 ?? sha256Local(path.join(input.localDir, file.path)),
          ]);
          if (remoteSha !== localSha) problems.push(`${file.path} differs (sha256 ${remoteSha.slice(0, 12)}… instead of ${localSha.slice(0, 12)}…)`);
          else {
            hashes.set(file.path, remoteSha);
            if (remoteFile) {
              const line = { runId, path: file.path, size: remoteFile.size, mtime: remoteFile.mtime, sha256: remoteSha };
              await appendFile(checkedFile, `${JSON.stringify(line)}\n`);
            }
          }
          progress.state.filesDone += 1;
        }
        if (problems.length > 0) {
          throw nonRetryable(
            'RemoteMismatch',
            `Verification found ${problems.length} problem${problems.length > 1 ? 's' : ''} on the remote side (${problems.slice(0, 5).join('; ')}${problems.length > 5 ? '; …' : ''}): ` +
              'the local data probably changed during the upload; start the sync again once it is stable.',
            { problems: problems.slice(0, 50) },
          );
        }

        const record: RemoteRecord = {
          fileSystemId: input.fileSystemId,
          remoteDir: input.remoteDir,
          recordedAt: new Date().toISOString(),
          workflowId: activityInfo().workflowExecution?.workflowId ?? '',
          files: {},
          dirs: remote.dirs,
        };
        const localByPath = new Map(local.files.map((f) => [f.path, f]));
        for (const r of remote.files) record.files[r.path] = { size: r.size, mtime: r.mtime, sha256: knownHash(r, hashes, journal, previous, localByPath) };
        await writeRemoteRecord(recordFile, record);
        log.info('remote side verified', { files: local.files.length, checksummed: hashes.size });
        return { mode: input.mode, files: local.files.length, checksummed: hashes.size, recordPath: recordFile };
      } catch (err) {
        if (signal.aborted) throw new CancelledFailure('verify cancelled');
        if (err instanceof ApplicationFailure || err instanceof CancelledFailure) throw err;
        if (pool.lost) throw retryable('SftpConnectionLost', `The SFTP connection dropped while verifying (${pool.lost}); retrying.`);
        throw err;
      } finally {
        signal.removeEventListener('abort', onAbort);
      }
    }, signal);
  } finally {
    progress.stop();
  }
}

/** Files an earlier attempt of this run read back and matched, with the remote size and mtime it saw. */
async function readChecked(file: string, runId: string): Promise<Map<string, { size: number; mtime: number; sha256: string }>> {
  const checked = new Map<string, { size: number; mtime: number; sha256: string }>();
  for (const entry of await readJsonLines<{ runId: string; path: string; size: number; mtime: number; sha256: string }>(file)) {
    if (entry.runId === runId) checked.set(entry.path, entry);
  }
  return checked;
}

/** Files uploaded by this run first (they are the ones at risk), then a random pick of the rest. */
function chooseForChecksum(files: LocalFile[], mode: VerifyInput['mode'], sample: number, uploaded: Set<string>): LocalFile[] {
  if (mode === 'size') return [];
  if (mode === 'all') return files;
  const fresh = files.filter((f) => uploaded.has(f.path));
  const rest = files.filter((f) => !uploaded.has(f.path));
  shuffle(fresh);
  shuffle(rest);
  return [...fresh, ...rest].slice(0, sample);
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
}

/** The sha256 of a remote file, if this run or an earlier record knows it for certain. */
function knownHash(
  remote: RemoteFile,
  hashed: Map<string, string>,
  journal: Awaited<ReturnType<typeof readJournal>>,
  previous: RemoteRecord | undefined,
  local: Map<string, LocalFile>,
): string | undefined {
  const fromVerify = hashed.get(remote.path);
  if (fromVerify) return fromVerify;
  const uploaded = journal.uploads.get(remote.path);
  if (uploaded && uploaded.size === remote.size && uploaded.mtime === remote.mtime) return uploaded.sha256;
  const before = previous?.files[remote.path];
  if (before?.sha256 && before.size === remote.size && before.mtime === remote.mtime) return before.sha256;
  const localFile = local.get(remote.path);
  if (localFile?.sha256 && localFile.size === remote.size && Math.floor(localFile.mtimeMs / 1000) === remote.mtime) return localFile.sha256;
  return undefined;
}
