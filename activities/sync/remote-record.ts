import { readJsonFile, writeJsonFile } from '../json-file.js';

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


/** A damaged record only costs a fuller comparison; never a failed sync. */
export function readRemoteRecord(file: string): Promise<RemoteRecord | undefined> {
  return readJsonFile<RemoteRecord>(file);
}

export function writeRemoteRecord(file: string, record: RemoteRecord): Promise<void> {
  return writeJsonFile(file, record);
}
