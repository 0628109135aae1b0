import { constants, type Dirent } from 'node:fs';
import { access, lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { heartbeat } from '@temporalio/activity';
import { nonRetryable } from '../failures.js';

export interface LocalFile {
  /** Relative to the local data dir, forward slashes. */
  path: string;
  size: number;
  mtimeMs: number;
  /** From the compile manifest when it vouches for this exact file (size and mtime match). */
  sha256?: string;
}

export interface LocalTree {
  files: LocalFile[];
  /** Every directory (relative, forward slashes), parents before children; "" is the root. */
  dirs: string[];
}

/** Suffix of the temporary name a file is uploaded under before the rename. */
export const TEMP_SUFFIX = '.runbook-part';

/**
 * Regular files under `root`, sorted so plans and logs are stable. Symlinks are followed only
 * within the data dir. Anything the upload could not send faithfully (a dangling or escaping
 * symlink, a loop, a FIFO or device, an unreadable file, a name that is not UTF-8) fails the
 * walk at once, non-retryably, naming the entry: found before a billed server exists, not halfway
 * through an upload, and never silently skipped (a skipped file is deleted remotely by
 * deleteExtraneous).
 */
export async function walkLocalTree(root: string, opts: { field?: string } = {}): Promise<LocalTree> {
  const field = opts.field ?? 'data.localDir';
  const files: LocalFile[] = [];
  const dirs: string[] = [''];
  const realRoot = await realpath(root);
  const visited = new Set<string>([realRoot]);
  let seen = 0;
  const refuse = (relPath: string, problem: string, fix: string): never => {
    throw nonRetryable('InvalidDataDir', `${field} ${root} holds ${JSON.stringify(relPath)}, ${problem}: ${fix}.`, { field, path: relPath });
  };
  async function walk(dir: string, rel: string): Promise<void> {
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.name.endsWith(TEMP_SUFFIX)) continue;
      if (++seen % 500 === 0) heartbeatIfActivity(seen);
      // readdir decodes names as UTF-8; a name that is not turns into U+FFFD and no longer exists.
      if (entry.name.includes('\uFFFD') && !(await lstat(full).then(() => true, () => false))) {
        refuse(relPath, 'a name that is not valid UTF-8 (SFTP and EFS paths are UTF-8)', 'rename it, for example with convmv, or remove it');
      }
      let kind: 'file' | 'dir' | 'other';
      let real = full;
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(full);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          refuse(relPath, code === 'ELOOP' ? 'a symlink that loops back on itself' : 'a symlink whose target does not exist', 'remove the link or restore its target');
        }
        if (real !== realRoot && !real.startsWith(`${realRoot}${path.sep}`)) {
          refuse(relPath, `a symlink to ${real}, outside the data dir`, 'copy the file into the data dir or remove the link (the upload would publish whatever the link points at)');
        }
        const target = await stat(full);
        kind = target.isDirectory() ? 'dir' : target.isFile() ? 'file' : 'other';
      } else {
        kind = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : 'other';
      }
      if (kind === 'other') {
        const s = await stat(full);
        const what = s.isFIFO() ? 'a FIFO (named pipe)' : s.isSocket() ? 'a socket' : 'a device file';
        refuse(relPath, `${what}, not a regular file`, 'remove it from the data dir; only regular files and directories are uploaded');
      }
      if (kind === 'dir') {
        if (entry.isSymbolicLink()) {
          if (visited.has(real)) {
            refuse(relPath, `a symlink to ${real}, a directory the walk already covers (a loop)`, 'remove the link');
          }
          visited.add(real);
        }
        dirs.push(relPath);
        await walk(full, relPath);
      } else {
        const s = await stat(full);
        await access(full, constants.R_OK).catch(() => refuse(relPath, 'a file the worker cannot read', `give the worker's user read permission (chmod a+r) or remove it`));
        files.push({ path: relPath, size: s.size, mtimeMs: s.mtimeMs });
      }
    }
  }
  await walk(root, '');
  return { files, dirs };
}

function heartbeatIfActivity(seen: number): void {
  try {
    heartbeat({ listed: seen });
  } catch {
    // Not in an activity.
  }
}
