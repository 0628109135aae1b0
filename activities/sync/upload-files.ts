import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import path, { posix } from 'node:path';
import { log } from '@temporalio/activity';
import { TEMP_SUFFIX, type LocalFile } from './local-tree.js';
import type { PartialLog, PartialUpload } from './partial-uploads.js';
import { isNoSuchFile } from './remote-tree.js';
import { OPEN_RESUME, OPEN_WRITE, type Sftp } from './sftp-session.js';
import type { JournalWriter } from './sync-journal.js';
import type { SyncProgress } from './sync-progress.js';
import { ByteBudget, hashRemote, provenByContent, sendRange, sessionBudget, sha256Local } from './transfer-file.js';

/** Files above this are cut into pieces of PIECE bytes that go over different connections. */
const SPLIT_ABOVE = 64 * 1024 * 1024;
const PIECE = 32 * 1024 * 1024;
/**
 * Files each session carries at once. A small file costs three round trips (open, writes with
 * setstat and close, rename) whatever its size, so one lane per session takes the largest file
 * left (bandwidth) and the others the smallest (round trips): on a long link the small files'
 * round trips overlap the big files' bytes instead of all coming at the end.
 */
export const FILES_PER_SESSION = 8;
/**
 * A resumed file above this is read back whole before its rename (a day's upload of one big file
 * is worth the read). At or below it, a resumed file is trusted as a fresh one is: acknowledged
 * writes, plus the unacknowledged tail proven by content (provenByContent), then the sync's
 * verify. Reading back every small file in flight after each retry would, on a link that drops
 * every few MB, spend each attempt re-reading and never finish (test/faults, the 12 MB drops).
 */
export const READ_BACK_ABOVE = 16 * 1024 * 1024;

/**
 * Whether an earlier attempt's temp may be continued for this local file: it was started from
 * this very file (size and mtime). Any size: what a resume trusts is proven by acks or by content,
 * so continuing costs reads, never bytes sent again (bench/RESULTS.md, the resume sections).
 */
export function canResume(earlier: PartialUpload | undefined, file: { size: number; mtimeMs: number }): earlier is PartialUpload {
  return earlier !== undefined && earlier.size === file.size && earlier.mtimeMs === file.mtimeMs;
}

export interface UploadOptions {
  localDir: string;
  root: string;
  attempt: number;
  progress: SyncProgress;
  journal: JournalWriter;
  partials: PartialLog;
  /** What earlier attempts of this run proved written, by local path (temps still on the server). */
  resumable: Map<string, PartialUpload>;
  /** Sessions of connections that come up later join the upload through this (SftpPool.onJoin). */
  onJoin?: (listener: (session: Sftp) => void) => () => void;
  /** Resolves once the remote dir (relative; "" the root) exists. */
  dirReady?: (dir: string) => Promise<void>;
  shouldStop: () => boolean;
}

/**
 * The earlier attempts' temps this attempt continues, by local path: those the record names for
 * the same local file, and temps under an earlier attempt's name that the record never got to
 * (the killed process had not yet appended the line). The latter start with nothing proven:
 * reading back proves what they hold, and the whole-file read-back still decides.
 */
export function resumableTemps(earlier: Map<string, PartialUpload>, liveTemps: Set<string>, upload: LocalFile[], root: string, attempt: number): Map<string, PartialUpload> {
  const out = new Map<string, PartialUpload>();
  for (const file of upload) {
    const known = earlier.get(file.path);
    if (known && liveTemps.has(known.temp)) {
      if (canResume(known, file)) out.set(file.path, known);
      continue;
    }
    for (let a = attempt - 1; a >= 1; a--) {
      const temp = posix.relative(root, tempName(`${root}/${file.path}`, a));
      if (!liveTemps.has(temp)) continue;
      out.set(file.path, { temp, attempt: a, size: file.size, mtimeMs: file.mtimeMs, proven: new Map() });
      break;
    }
  }
  return out;
}

/** Temp name in the same dir (rename stays on one file system), kept under 255 bytes. */
export function tempName(remotePath: string, attempt: number): string {
  const dir = posix.dirname(remotePath);
  const base = posix.basename(remotePath);
  const short = Buffer.byteLength(base) > 200 ? createHash('sha1').update(base).digest('hex') : base;
  return `${dir}/.${short}.a${attempt}${TEMP_SUFFIX}`;
}

/** [start, end) of each piece; depends on the size only, so a retry cuts a file the same way. */
export function piecesOf(size: number): [number, number][] {
  if (size <= SPLIT_ABOVE) return [[0, size]];
  const out: [number, number][] = [];
  for (let at = 0; at < size; at += PIECE) out.push([at, Math.min(size, at + PIECE)]);
  return out;
}

interface FileJob {
  file: LocalFile;
  target: string;
  /** Remote temp path. */
  temp: string;
  mtime: number;
  /** Continues a temp an earlier attempt proved partly written: read back in full before the rename. */
  resumed: boolean;
  /** The attempt that created the temp. */
  startedBy: number;
  pieces: Piece[];
  left: number;
  /** Multi-piece files: the temp is created (truncated) once, before any piece opens it. */
  created?: Promise<void>;
}

interface Piece {
  job: FileJob;
  index: number;
  start: number;
  end: number;
  /** Absolute offset written and acknowledged up to. */
  proven: number;
}

/**
 * Uploads `files` over every session of the pool (and those that join while it runs): from both
 * ends of the size order (see FILES_PER_SESSION), big files cut into pieces that different
 * connections write at once, each piece with the session's byte budget in flight, each
 * file under a temp name renamed into place once complete (with its mtime already set). Progress
 * proven written is recorded as it grows, so a retry continues from there and reads back what it
 * resumed before trusting it.
 */
export async function uploadFiles(sessions: Sftp[], files: LocalFile[], o: UploadOptions): Promise<{ done: LocalFile[]; bytesWritten: number }> {
  const done: LocalFile[] = [];
  const written = { bytes: 0 };
  const jobs = [...files].sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1)).map((file) => makeJob(file, o));
  const queue: Piece[] = jobs.flatMap((j) => j.pieces);
  // Pieces proven by an earlier attempt count now; the read-back still decides.
  for (const job of jobs) for (const p of job.pieces) o.progress.state.bytesDone += p.proven - p.start;
  let failure: unknown;
  const finishIfComplete = async (job: FileJob, sftp: Sftp): Promise<void> => {
    if (--job.left > 0) return;
    if (!setsMtimeOnClose(job)) {
      // The mtime goes on before the rename, so a file under its real name is always complete.
      await sftp.utimes(job.temp, job.mtime, job.mtime).catch((err: unknown) => mtimeRefused(sftp, err, job.file.path));
    }
    if (job.resumed && job.file.size > READ_BACK_ABOVE && !(await readBackMatches(sftp, job, o))) {
      // What was proven is not what is there: send the whole file again, from byte 0.
      log.warn('a resumed temp file did not read back as the local file; uploading it again in full', { path: job.file.path });
      o.progress.state.bytesDone -= job.file.size;
      o.partials.reset(job.file.path, posix.relative(o.root, job.temp), job.file.size, job.file.mtimeMs, o.attempt);
      job.resumed = false;
      job.startedBy = o.attempt;
      job.created = undefined;
      for (const p of job.pieces) p.proven = p.start;
      job.left = job.pieces.length;
      queue.unshift(...job.pieces);
      return;
    }
    if (o.shouldStop()) return;
    await sftp.renameOver(job.temp, job.target);
    void o.journal.add({ op: 'upload', path: job.file.path, size: job.file.size, mtime: job.mtime, sha256: job.file.sha256, attempt: o.attempt, ...(job.startedBy !== o.attempt ? { resumedFrom: job.startedBy } : {}) });
    o.progress.state.filesDone += 1;
    done.push(job.file);
  };
  const lane = async (sftp: Sftp, budget: ByteBudget, smallFirst: boolean): Promise<void> => {
    const next = (): Piece | undefined => (smallFirst ? queue.pop() : queue.shift());
    for (let piece = next(); piece; piece = next()) {
      if (failure !== undefined || o.shouldStop()) return;
      try {
        await sendPiece(sftp, budget, piece, o, written);
        await finishIfComplete(piece.job, sftp);
      } catch (err) {
        failure ??= err;
        return;
      }
    }
  };
  const lanes = new Set<Promise<void>>();
  const start = (sftp: Sftp): void => {
    // Judged per session when it starts: the listing's answers (or the first session's, for one
    // that joins later on the same link) tell how far the server is.
    const budget = new ByteBudget(sessionBudget(Math.min(sftp.fastestReplyMs, ...sessions.map((s) => s.fastestReplyMs))));
    for (let k = 0; k < FILES_PER_SESSION; k++) lanes.add(lane(sftp, budget, k > 0 /* smallest first */));
  };
  for (const s of sessions) start(s);
  const leave = o.onJoin?.(start);
  // Let every lane settle before reporting (those of sessions that joined meanwhile too), so no
  // upload runs on after the activity ends.
  for (let settled = 0; settled < lanes.size; ) {
    settled = lanes.size;
    await Promise.all(lanes);
  }
  leave?.();
  if (failure !== undefined) throw failure;
  return { done, bytesWritten: written.bytes };
}

function makeJob(file: LocalFile, o: UploadOptions): FileJob {
  const target = `${o.root}/${file.path}`;
  const earlier = o.resumable.get(file.path);
  const usable = canResume(earlier, file) ? earlier : undefined;
  const job: FileJob = {
    file,
    target,
    temp: usable ? `${o.root}/${earlier!.temp}` : tempName(target, o.attempt),
    mtime: Math.floor(file.mtimeMs / 1000),
    resumed: usable !== undefined,
    startedBy: usable?.attempt ?? o.attempt,
    pieces: [],
    left: 0,
  };
  job.left = piecesOf(file.size).length;
  job.pieces = piecesOf(file.size).map(([start, end], index) => {
    const proven = usable?.proven.get(index);
    return { job, index, start, end, proven: proven !== undefined && proven >= start && proven <= end ? proven : start };
  });
  return job;
}

/** A whole new file sets its mtime on its one handle, with the close; others by path at the end. */
const setsMtimeOnClose = (job: FileJob): boolean => job.pieces.length === 1 && !job.resumed;

async function sendPiece(sftp: Sftp, budget: ByteBudget, piece: Piece, o: UploadOptions, written: { bytes: number }): Promise<void> {
  const { job } = piece;
  const single = job.pieces.length === 1;
  // Proven in full by an earlier attempt: nothing to send (the read-back at the end checks it).
  if (job.resumed && piece.proven >= piece.end) return;
  const parent = posix.dirname(job.file.path);
  if (o.dirReady) await o.dirReady(parent === '.' ? '' : parent);
  let handle: Buffer;
  if (job.resumed) {
    handle = await sftp.open(job.temp, OPEN_RESUME);
  } else if (single) {
    handle = await sftp.open(job.temp, 'w');
  } else {
    let mine = false;
    job.created ??= ((mine = true), sftp.open(job.temp, 'w').then((h) => void (handle = h)));
    await job.created;
    if (!mine) handle = await sftp.open(job.temp, OPEN_WRITE);
  }
  o.progress.line(`uploading ${job.file.path}${single ? '' : ` (piece ${piece.index + 1} of ${job.pieces.length})`}`);
  const note = (offset: number): void =>
    o.partials.note({ p: job.file.path, t: posix.relative(o.root, job.temp), s: job.file.size, m: job.file.mtimeMs, a: job.startedBy, i: piece.index, o: offset });
  // Started by this run: a retry counts the file as this run's upload even if the journal line
  // after its rename was lost, and continues its temp.
  if (!job.resumed) note(piece.proven);
  let local: number | undefined;
  // A new whole file sends its setstat and close right behind its last write, without waiting
  // for the writes' answers: one round trip fewer per file. Safe whatever order the server
  // answers in, because nothing is renamed until every answer came back OK.
  let closing: Promise<unknown> | undefined;
  const closeWithMtime = (): void => {
    closing = Promise.all([sftp.futimes(handle!, job.mtime, job.mtime).catch((err: unknown) => mtimeRefused(sftp, err, job.file.path)), sftp.close(handle!)]);
    closing.catch(() => undefined); // awaited below
  };
  try {
    if (piece.proven < piece.end) {
      local = openSync(path.join(o.localDir, job.file.path), 'r');
      if (job.resumed) {
        // What the killed attempt wrote but never saw acknowledged is proven by reading it back.
        const before = piece.proven;
        piece.proven = await provenByContent(sftp, local, handle!, piece.proven, piece.end, o.shouldStop);
        if (piece.proven > before) {
          o.progress.state.bytesDone += piece.proven - before;
          note(piece.proven);
        }
      }
      await sendRange(sftp, budget, local, handle!, piece.proven, piece.end, (offset, grown) => {
        piece.proven = offset;
        o.progress.state.bytesDone += grown;
        written.bytes += grown;
        note(offset);
      }, o.shouldStop, setsMtimeOnClose(job) ? closeWithMtime : undefined);
    }
    if (setsMtimeOnClose(job) && !o.shouldStop()) {
      if (!closing) closeWithMtime();
      await closing;
      return;
    }
  } finally {
    if (local !== undefined) closeSync(local);
    await closing?.catch(() => undefined);
  }
  await sftp.close(handle!).catch((err: unknown) => {
    if (!o.shouldStop()) throw err;
  });
}

function mtimeRefused(sftp: Sftp, err: unknown, file: string): void {
  if (sftp.lost) throw err;
  log.warn('the server refused to set mtime; the next sync compares by size and recorded hash', { path: file });
}

/** A big resumed file is trusted only once the whole temp reads back as the local file. */
async function readBackMatches(sftp: Sftp, job: FileJob, o: UploadOptions): Promise<boolean> {
  o.progress.line(`reading back ${job.file.path}, resumed from an earlier attempt`);
  const [remote, local] = await Promise.all([
    hashRemote(sftp, job.temp, job.file.size, () => undefined).catch((err: unknown) => {
      if (isNoSuchFile(err)) return 'missing';
      throw err;
    }),
    job.file.sha256 ?? sha256Local(path.join(o.localDir, job.file.path)),
  ]);
  return remote === local;
}
