import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface RecordedRemoteFile {
  size: number;
  /** Seconds, as SFTP reports it. */
  mtime: number;
  sha256?: string;
}

/**
 * What the remote side held after the last verified sync, kept on the worker's disk. It lets a
 * dry run plan without a server (none exists to list), and lets the compile manifest's hashes
 * decide whether a re-compiled but identical file needs uploading.
 */
export interface RemoteRecord {
  fileSystemId: string;
  remoteDir: string;
  recordedAt: string;
  workflowId: string;
  files: Record<string, RecordedRemoteFile>;
  /** Every remote dir (relative), so empty dirs count too; absent in records written before. */
  dirs?: string[];
}


export async function readRemoteRecord(file: string): Promise<RemoteRecord | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RemoteRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // A damaged record only costs a fuller comparison; never a failed sync.
    return undefined;
  }
}

export async function writeRemoteRecord(file: string, record: RemoteRecord): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.tmp`;
  await writeFile(temp, JSON.stringify(record));
  await rename(temp, file);
}
