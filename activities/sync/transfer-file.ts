import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Sftp } from './sftp-session.js';

/** One SFTP packet's worth; ssh2 would split larger writes anyway. */
const CHUNK = 32 * 1024;
/**
 * Requests in flight per file: one write per round trip would cap a file at 32 KiB per RTT
 * (under 1 MB/s across a continent); 32 in flight keep about 1 MiB on the wire.
 */
const WINDOW = 32;

/**
 * Streams a local file into an open remote handle (never the whole file in memory) with
 * pipelined writes, and returns the sha256 of what was sent.
 */
export async function streamToRemote(sftp: Sftp, localPath: string, handle: Buffer, onBytes: (n: number) => void, shouldStop: () => boolean): Promise<string> {
  const hash = createHash('sha256');
  const inflight = new Set<Promise<void>>();
  let failure: unknown;
  let position = 0;
  for await (const chunk of createReadStream(localPath, { highWaterMark: CHUNK })) {
    if (failure !== undefined || shouldStop()) break;
    const data = chunk as Buffer;
    hash.update(data);
    const at = position;
    position += data.length;
    const write: Promise<void> = sftp.write(handle, data, at).then(
      () => {
        inflight.delete(write);
        onBytes(data.length);
      },
      (err: unknown) => {
        inflight.delete(write);
        failure ??= err;
      },
    );
    inflight.add(write);
    if (inflight.size >= WINDOW) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  if (failure !== undefined) throw failure;
  return hash.digest('hex');
}

/** sha256 of a remote file, read with pipelined requests. */
export async function hashRemote(sftp: Sftp, remotePath: string, size: number, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  const handle = await sftp.open(remotePath, 'r');
  try {
    let position = 0;
    while (position < size) {
      const window: Promise<Buffer>[] = [];
      for (let at = position; at < size && window.length < WINDOW; at += CHUNK) {
        const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - at));
        window.push(sftp.read(handle, buffer, at).then((n) => buffer.subarray(0, n)));
      }
      const parts = await Promise.all(window);
      for (const part of parts) {
        hash.update(part);
        position += part.length;
        onBytes(part.length);
        // A short read mid-file: continue from where the data really ends.
        if (part.length < CHUNK && position < size) break;
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
    createReadStream(localPath)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
