import type { LocalFile, LocalTree } from './local-tree.js';
import type { RemoteRecord } from './remote-record.js';

export interface RemoteFile {
  /** Relative to the remote root, forward slashes. */
  path: string;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
}

export interface RemoteTree {
  files: RemoteFile[];
  dirs: string[];
  /** Temporary files an interrupted upload left behind. */
  temps: string[];
  /** The root itself does not exist yet. */
  missingRoot?: boolean;
}

export interface SyncPlan {
  upload: LocalFile[];
  skip: LocalFile[];
  /** Remote files the local tree no longer has (only with deleteExtraneous, or when in the way). */
  remove: RemoteFile[];
  /** Remote dirs to remove, deepest first. */
  removeDirs: string[];
  /** Remote dirs to create, parents first. */
  createDirs: string[];
  temps: string[];
}

export interface Totals {
  files: number;
  bytes: number;
}

export function totals(files: { size: number }[]): Totals {
  return { files: files.length, bytes: files.reduce((sum, f) => sum + f.size, 0) };
}

/**
 * Whether a local file must be uploaded: by the compile's sha256 when both sides have one (and
 * the remote file is still the one recorded), else by size and mtime (seconds, what SFTP keeps).
 */
export function needsUpload(local: LocalFile, remote: RemoteFile | undefined, recorded: RemoteRecord['files'][string] | undefined): boolean {
  if (!remote || remote.size !== local.size) return true;
  if (local.sha256 && recorded?.sha256 && recorded.size === remote.size && recorded.mtime === remote.mtime) {
    return recorded.sha256 !== local.sha256;
  }
  return Math.floor(local.mtimeMs / 1000) !== remote.mtime;
}

const isUnder = (p: string, dir: string): boolean => p.startsWith(`${dir}/`);
const depth = (p: string): number => p.split('/').length;

export function planSync(local: LocalTree, remote: RemoteTree, record: RemoteRecord | undefined, deleteExtraneous: boolean): SyncPlan {
  const remoteFiles = new Map(remote.files.map((f) => [f.path, f]));
  const remoteDirs = new Set(remote.dirs);
  const localFiles = new Set(local.files.map((f) => f.path));
  const localDirs = new Set(local.dirs);

  // A remote dir where a local file goes (or a remote file where a local dir goes) must go,
  // whatever deleteExtraneous says: the upload could not happen otherwise.
  const blockingDirs = remote.dirs.filter((d) => localFiles.has(d));
  const blocked = (p: string): boolean => blockingDirs.some((d) => p === d || isUnder(p, d));

  const upload: LocalFile[] = [];
  const skip: LocalFile[] = [];
  for (const file of local.files) {
    const remoteFile = blocked(file.path) ? undefined : remoteFiles.get(file.path);
    (needsUpload(file, remoteFile, record?.files[file.path]) ? upload : skip).push(file);
  }
  const remove = remote.files.filter((f) => {
    if (localDirs.has(f.path) || blocked(f.path)) return true;
    return deleteExtraneous && !localFiles.has(f.path);
  });
  const removeDirs = remote.dirs
    .filter((d) => blocked(d) || (deleteExtraneous && !localDirs.has(d)))
    .sort((a, b) => depth(b) - depth(a) || (a < b ? 1 : -1));
  const createDirs = local.dirs.filter((d) => d !== '' && (!remoteDirs.has(d) || blocked(d))).sort((a, b) => depth(a) - depth(b));
  return { upload, skip, remove, removeDirs, createDirs, temps: remote.temps };
}

/** The remote side as the last verified sync left it: the best a dry run has without a server. */
export function treeFromRecord(record: RemoteRecord | undefined): RemoteTree {
  if (!record) return { files: [], dirs: [], temps: [] };
  const files = Object.entries(record.files).map(([path, f]) => ({ path, size: f.size, mtime: f.mtime }));
  // Records written since dirs are kept list them all (empty ones too); older ones imply them.
  const dirs = new Set<string>(record.dirs ?? []);
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return { files, dirs: [...dirs], temps: [] };
}
