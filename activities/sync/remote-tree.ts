import { heartbeat } from '@temporalio/activity';
import { TEMP_SUFFIX } from './local-tree.js';
import type { RemoteTree } from './plan-sync.js';
import type { Sftp } from './sftp-session.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** SFTP status NO_SUCH_FILE, as ssh2 reports it in `err.code`. */
export function isNoSuchFile(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 2;
}

/**
 * Creates `dir` and its missing parents (`mkdir -p`) below `existing`, a dir known to exist
 * (the user's home: the file system root, which is never stat'ed; see the report on the sim).
 */
export async function mkdirs(sftp: Sftp, dir: string, existing: string): Promise<void> {
  const parts = dir.split('/').filter(Boolean);
  let current = '';
  for (const part of parts) {
    current += `/${part}`;
    if (existing === current || existing.startsWith(`${current}/`)) continue;
    try {
      const s = await sftp.stat(current);
      if (!s.isDirectory()) throw new Error(`${current} exists on the file system and is not a directory`);
    } catch (err) {
      if (!isNoSuchFile(err)) throw err;
      await sftp.mkdir(current).catch(async (mkdirErr: unknown) => {
        // Another upload of the same tree may have made it in between.
        if (!(await sftp.stat(current).then((s) => s.isDirectory(), () => false))) throw mkdirErr;
      });
    }
  }
}

/** Every file and dir under `root` (relative paths); our interrupted temp files listed apart. */
export async function listRemoteTree(sftp: Sftp, root: string): Promise<RemoteTree> {
  const tree: RemoteTree = { files: [], dirs: [], temps: [] };
  let listed = 0;
  async function walk(dir: string, rel: string): Promise<void> {
    const entries = await sftp.readdir(dir);
    for (const entry of entries) {
      if (entry.filename === '.' || entry.filename === '..') continue;
      const relPath = rel ? `${rel}/${entry.filename}` : entry.filename;
      const type = (entry.attrs.mode ?? 0) & S_IFMT;
      if (++listed % 200 === 0) heartbeat({ phase: 'listing', listed, lastLine: `listing the remote side: ${listed} entries` });
      if (type === S_IFDIR) {
        tree.dirs.push(relPath);
        await walk(`${dir}/${entry.filename}`, relPath);
      } else if (type === S_IFREG && entry.filename.endsWith(TEMP_SUFFIX)) {
        tree.temps.push(relPath);
      } else if (type === S_IFREG) {
        tree.files.push({ path: relPath, size: entry.attrs.size ?? 0, mtime: entry.attrs.mtime ?? 0 });
      }
    }
  }
  await walk(root, '');
  return tree;
}
