import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { heartbeat, log } from '@temporalio/activity';

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

/** Regular files under `root` (symlinks followed); sorted so plans and logs are stable. */
export async function walkLocalTree(root: string): Promise<LocalTree> {
  const files: LocalFile[] = [];
  const dirs: string[] = [''];
  let seen = 0;
  async function walk(dir: string, rel: string): Promise<void> {
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.name.endsWith(TEMP_SUFFIX)) continue;
      if (++seen % 500 === 0) heartbeatIfActivity(seen);
      let kind: 'file' | 'dir' | undefined;
      if (entry.isSymbolicLink()) {
        try {
          const target = await stat(full);
          kind = target.isDirectory() ? 'dir' : target.isFile() ? 'file' : undefined;
        } catch {
          log.warn('skipping a broken symlink in the data dir', { path: relPath });
          continue;
        }
      } else {
        kind = entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : undefined;
      }
      if (kind === 'dir') {
        dirs.push(relPath);
        await walk(full, relPath);
      } else if (kind === 'file') {
        const s = await stat(full);
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
