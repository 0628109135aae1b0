import { accessSync, constants, lstatSync, readdirSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
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

const YIELD_EVERY_MS = 8;

/** Suffix of the temporary name a file is uploaded under before the rename. */
export const TEMP_SUFFIX = '.runbook-part';

/**
 * Regular files under `root`, sorted so plans and logs are stable. Symlinks are followed only
 * within the data dir. Anything the upload could not send faithfully (a dangling or escaping
 * symlink, a loop, a FIFO or device, an unreadable file, a name that is not UTF-8) fails the
 * walk at once, non-retryably, naming the entry: found before a billed server exists, not halfway
 * through an upload, and never silently skipped (a skipped file is deleted remotely by
 * deleteExtraneous).
 *
 * Each directory is read with synchronous calls, and the walk yields to the event loop between
 * directories every few ms: an awaited stat and access per file cost two trips through libuv's
 * thread pool each (0.6 s for 2,000 files, most of a 1%-changed sync), the synchronous ones
 * microseconds.
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
  let lastYield = performance.now();
  async function walk(dir: string, rel: string): Promise<void> {
    // A few ms at a time: the handshakes and the listing that run meanwhile get answered, yet
    // the walk is not starved by them (yielding at every dir made 121 dirs wait on 121 turns of a
    // busy event loop, and the walk, not the listing, ended last).
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToLoop();
      lastYield = performance.now();
    }
    const entries: Dirent[] = readdirSync(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.name.endsWith(TEMP_SUFFIX)) continue;
      if (++seen % 500 === 0) heartbeatIfActivity(seen);
      // readdir decodes names as UTF-8; a name that is not turns into U+FFFD and no longer exists.
      if (entry.name.includes('\uFFFD') && !exists(full)) {
        refuse(relPath, 'a name that is not valid UTF-8 (SFTP and EFS paths are UTF-8)', 'rename it, for example with convmv, or remove it');
      }
      let kind: 'file' | 'dir' | 'other';
      let real = full;
      if (entry.isSymbolicLink()) {
        try {
          real = realpathSync(full);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          refuse(relPath, code === 'ELOOP' ? 'a symlink that loops back on itself' : 'a symlink whose target does not exist', 'remove the link or restore its target');
        }
        if (real !== realRoot && !real.startsWith(`${realRoot}${path.sep}`)) {
          refuse(relPath, `a symlink to ${real}, outside the data dir`, 'copy the file into the data dir or remove the link (the upload would publish whatever the link points at)');
        }
        const target = statSync(full);
        kind = target.isDirectory() ? 'dir' : target.isFile() ? 'file' : 'other';
      } else {
        kind = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : 'other';
      }
      if (kind === 'other') {
        const s = statSync(full);
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
        const s = statSync(full);
        if (!readable(full, s)) refuse(relPath, 'a file the worker cannot read', `give the worker's user read permission (chmod a+r) or remove it`);
        files.push({ path: relPath, size: s.size, mtimeMs: s.mtimeMs });
      }
    }
  }
  await walk(root, '');
  return { files, dirs };
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

const uid = process.getuid?.();
const groups = new Set([...(process.getgroups?.() ?? []), ...(process.getgid ? [process.getgid()] : [])]);

/**
 * Whether this process may read the file: from its mode bits when they settle it (an access(2)
 * per file was a tenth of a 1%-changed sync's CPU), else by asking the kernel (ACLs, odd owners).
 */
function readable(p: string, s: Stats): boolean {
  // The kernel's order: the owner's bits for the owner, else the group's for a member, else the others'.
  const bit = s.uid === uid ? 0o400 : groups.has(s.gid) ? 0o040 : 0o004;
  if (uid === 0 || s.mode & bit) return true;
  try {
    accessSync(p, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function heartbeatIfActivity(seen: number): void {
  try {
    heartbeat({ listed: seen });
  } catch {
    // Not in an activity.
  }
}
