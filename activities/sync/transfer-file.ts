import { createHash } from 'node:crypto';
import { createReadStream, readSync } from 'node:fs';
import type { Sftp } from './sftp-session.js';

/**
 * Bytes one session keeps on the wire on a long link: OpenSSH's channel window (2 MiB), as its
 * own sftp client keeps (64 × 32 KiB), and more than the bandwidth-delay product of a 25 MB/s,
 * 50 ms connection. More than the window only waits in ssh2's buffers: at 4 MiB the 1 GiB
 * loopback upload used 8.3 s of CPU, at 2 MiB 6 s (bench/RESULTS.md), and on a capped link the
 * excess is queue that every other request of the connection waits behind. Sessions share it
 * between the files they carry, so memory stays bounded however many files are in flight.
 */
const SESSION_BUDGET = 2 * 1024 * 1024;

/**
 * Bytes one session keeps on the wire on a near link, whose requests are answered within
 * NEAR_LINK_MS. There 2 MiB per session outran a fresh connection's server side: the first
 * 20 MiB took 240–320 ms instead of about 110 (sshd's socket filled, TCP retransmitted what had
 * arrived; `ss -ti` showed bytes_retrans and dsack), which was half of a 1%-changed sync. Once
 * the connection is warm, 1 MiB carries as much as 2 (bench/WHY.md).
 */
const NEAR_SESSION_BUDGET = 1024 * 1024;
const NEAR_LINK_MS = 10;

/** The budget for sessions whose quickest answer so far took `fastestReplyMs`. */
export function sessionBudget(fastestReplyMs: number): number {
  return fastestReplyMs < NEAR_LINK_MS ? NEAR_SESSION_BUDGET : SESSION_BUDGET;
}

/** A counting semaphore on bytes in flight, one per SFTP session. */
export class ByteBudget {
  private available: number;
  private readonly waiters: { n: number; resolve: () => void }[] = [];
  constructor(readonly size: number) {
    this.available = size;
  }

  take(n: number): Promise<void> | undefined {
    if (this.waiters.length === 0 && this.available >= n) {
      this.available -= n;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiters.push({ n, resolve }));
  }

  give(n: number): void {
    this.available += n;
    while (this.waiters.length > 0 && this.available >= this.waiters[0]!.n) {
      const next = this.waiters.shift()!;
      this.available -= next.n;
      next.resolve();
    }
  }
}

/**
 * Writes local bytes [from, end) of an open local fd into an open remote handle with pipelined writes of the
 * server's largest size, never more than the session's budget in flight. `onProven(offset)` is
 * called whenever the acknowledged prefix grows: everything before `offset` is written on the
 * server (an SFTP write is answered only once it is), which is what a resume may trust.
 */
export async function sendRange(
  sftp: Sftp,
  budget: ByteBudget,
  local: number,
  handle: Buffer,
  from: number,
  end: number,
  onProven: (offset: number, newBytes: number) => void,
  shouldStop: () => boolean,
  /** Called once every write is on its way (before their answers): what may follow them at once. */
  onIssued?: () => void,
): Promise<void> {
  const chunk = Math.min(sftp.maxWriteLen, budget.size);
  // Acks may come back out of order (several sessions share a connection); the proven prefix
  // only moves over a contiguous run.
  const acked = new Map<number, number>();
  let proven = from;
  let failure: unknown;
  let inflight = 0;
  let drained: (() => void) | undefined;
  // ssh2 copies the payload into its packet at once, so one read buffer serves every write.
  const buffer = Buffer.allocUnsafe(Math.min(chunk, Math.max(1, end - from)));
  for (let at = from; at < end; ) {
    if (failure !== undefined || shouldStop()) break;
    const want = Math.min(chunk, end - at);
    const wait = budget.take(want);
    if (wait) await wait;
    if (failure !== undefined || shouldStop()) {
      budget.give(want);
      break;
    }
    // A synchronous read: from the page cache it costs microseconds, far less than a trip
    // through libuv's thread pool and back for every chunk (bench/RESULTS.md, CPU per tool).
    const bytesRead = readSync(local, buffer, 0, want, at);
    if (bytesRead !== want) {
      budget.give(want);
      throw new Error(`the local file shrank while it was being uploaded (read ${bytesRead} of ${want} bytes at ${at})`);
    }
    const offset = at;
    at += want;
    inflight += 1;
    sftp.write(handle, buffer.subarray(0, want), offset).then(
      () => {
        budget.give(want);
        acked.set(offset, want);
        let grown = 0;
        for (let n = acked.get(proven); n !== undefined; n = acked.get(proven)) {
          acked.delete(proven);
          proven += n;
          grown += n;
        }
        if (grown > 0) onProven(proven, grown);
        if (--inflight === 0) drained?.();
      },
      (err: unknown) => {
        budget.give(want);
        failure ??= err;
        if (--inflight === 0) drained?.();
      },
    );
  }
  if (failure === undefined && !shouldStop()) onIssued?.();
  if (inflight > 0) await new Promise<void>((resolve) => (drained = resolve));
  if (failure !== undefined) throw failure;
}

/**
 * How far past `from` the remote bytes already equal the local ones: reads [from, end) back with
 * pipelined requests and compares each chunk with the local file, stopping at the first chunk
 * that differs or is short (a hole reads as zeros, the end of the file as EOF). A killed attempt
 * leaves written bytes whose acks it never saw (in flight, or not yet read off its socket);
 * this proves them by content, so the retry need not send them again. Returns the offset up to
 * which the remote file is proven equal. Reads only: what it proves is still checked by the
 * whole-file read-back before the rename.
 */
export async function provenByContent(sftp: Sftp, local: number, handle: Buffer, from: number, end: number, shouldStop: () => boolean): Promise<number> {
  const chunk = Math.min(sftp.maxReadLen, 256 * 1024);
  const window = Math.max(4, Math.floor((2 * 1024 * 1024) / chunk));
  const mine = Buffer.allocUnsafe(chunk);
  let proven = from;
  let issued = from;
  const reads: { at: number; data: Promise<Buffer | undefined> }[] = [];
  const issue = (): void => {
    while (reads.length < window && issued < end) {
      const at = issued;
      const buffer = Buffer.allocUnsafe(Math.min(chunk, end - at));
      // EOF and errors end the probe at this chunk; the upload then writes from there.
      reads.push({ at, data: sftp.read(handle, buffer, at).then((n) => buffer.subarray(0, n), () => undefined) });
      issued += buffer.length;
    }
  };
  issue();
  // Reads still on their way when this stops are left to settle on their own (they never reject).
  while (reads.length > 0 && !shouldStop()) {
    const { at, data } = reads.shift()!;
    const theirs = await data;
    const want = Math.min(chunk, end - at);
    if (!theirs || readSync(local, mine, 0, want, at) !== want) break;
    // A chunk that is short (the end of what was written) or differs (a hole, a torn write)
    // still proves its equal head.
    const equal = equalPrefix(theirs, mine.subarray(0, want));
    proven = at + equal;
    if (equal < want) break;
    issue();
  }
  return proven;
}

/** How many leading bytes of `a` equal `b`'s, in steps of 4 KiB (a file system block). */
function equalPrefix(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  if (n === b.length && a.subarray(0, n).equals(b)) return n;
  const STEP = 4096;
  let at = 0;
  while (at < n && a.subarray(at, Math.min(n, at + STEP)).equals(b.subarray(at, Math.min(n, at + STEP)))) at = Math.min(n, at + STEP);
  return at;
}

/** sha256 of a remote file, read with pipelined requests of the server's largest size. */
export async function hashRemote(sftp: Sftp, remotePath: string, size: number, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const handle = await sftp.open(remotePath, 'r');
  const chunk = Math.min(sftp.maxReadLen, 256 * 1024);
  const window = Math.max(4, Math.floor((2 * 1024 * 1024) / chunk));
  try {
    let position = 0;
    while (position < size) {
      const reads: Promise<Buffer>[] = [];
      for (let at = position; at < size && reads.length < window; at += chunk) {
        const buffer = Buffer.allocUnsafe(Math.min(chunk, size - at));
        reads.push(sftp.read(handle, buffer, at).then((n) => buffer.subarray(0, n)));
      }
      const parts = await Promise.all(reads);
      for (const part of parts) {
        hash.update(part);
        position += part.length;
        onBytes(part.length);
        // A short read mid-file: continue from where the data really ends.
        if (part.length < chunk && position < size) break;
      }
      if (parts.every((p) => p.length === 0)) break;
    }
    return hash.digest('hex');
  } finally {
    await sftp.close(handle).catch(() => undefined);
  }
}

export function sha256Local(localPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(localPath, { highWaterMark: 1024 * 1024 })
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
