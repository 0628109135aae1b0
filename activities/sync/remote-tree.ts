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
    // mkdir first: one round trip where the dir is missing (the case this is called for); a
    // refusal is fine when a dir is already there (made by an earlier sync, or another one now).
    await sftp.mkdir(current).catch(async (mkdirErr: unknown) => {
      const s = await sftp.stat(current).catch(() => undefined);
      if (!s) throw mkdirErr;
      if (!s.isDirectory()) throw new Error(`${current} exists on the file system and is not a directory`);
    });
  }
}

/**
 * Runs `fn` over `items` with at most `limit` at once, each call given a session in turn.
 * Fails with the first error, after every started call settled.
 */
export async function forEachOnSessions<T>(sessions: Sftp[], items: T[], limit: number, fn: (item: T, sftp: Sftp) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown;
  const lane = async (index: number): Promise<void> => {
    const sftp = sessions[index % sessions.length]!;
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item, sftp);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, (_, i) => lane(i)));
  if (failure !== undefined) throw failure;
}

/**
 * Starts creating the dirs the plan found missing (no stat first: the listing said so), each
 * after its parent, spread over the sessions. `ready(dir)` resolves once that dir exists;
 * `all()` once every one does (or fails with the first error).
 */
export function createDirsAsNeeded(sessions: Sftp[], root: string, dirs: string[]): { ready: (dir: string) => Promise<void>; all: () => Promise<void> } {
  const made = new Map<string, Promise<void>>();
  let turn = 0;
  const sorted = [...dirs].sort((a, b) => a.split('/').length - b.split('/').length);
  for (const d of sorted) {
    const parent = d.includes('/') ? d.slice(0, d.lastIndexOf('/')) : '';
    const sftp = sessions[turn++ % sessions.length]!;
    const full = `${root}/${d}`;
    const p = (made.get(parent) ?? Promise.resolve()).then(() =>
      sftp.mkdir(full).catch(async (err: unknown) => {
        // Another upload of the same tree (or an earlier attempt) may have made it.
        if (!(await sftp.stat(full).then((st) => st.isDirectory(), () => false))) throw err;
      }),
    );
    p.catch(() => undefined); // reported by ready() or all()
    made.set(d, p);
  }
  return {
    ready: (dir) => made.get(dir) ?? Promise.resolve(),
    all: async () => {
      await Promise.all(made.values());
    },
  };
}

/**
 * Every file and dir under `root` (relative paths, sorted); our interrupted temp files listed
 * apart. Dirs are listed in parallel across the sessions: on a 50 ms link one readdir at a time
 * costs several round trips per dir.
 */
export async function listRemoteTree(sftp: Sftp | Sftp[], root: string): Promise<RemoteTree> {
  const sessions = Array.isArray(sftp) ? sftp : [sftp];
  const tree: RemoteTree = { files: [], dirs: [], temps: [] };
  let listed = 0;
  const pending: { dir: string; rel: string }[] = [{ dir: root, rel: '' }];
  let running = 0;
  let failure: unknown;
  // Dirs listed at once, whatever the sessions: a session carries many requests in flight, and the
  // listing often starts on the first connection alone (the others join as they come up). Each
  // dir is several round trips (open, reads, close): on a 50 ms link, 8 at once made 100 dirs 2.5 s.
  const limit = 64;
  // A root that does not exist yet is an empty tree (the caller makes it); anywhere else a
  // vanished dir is an error.
  const rootEntries = await sessions[0]!.readdir(root).catch((err: unknown) => {
    if (isNoSuchFile(err)) return undefined;
    throw err;
  });
  if (!rootEntries) return { ...tree, missingRoot: true };
  const prefetched = new Map([[root, rootEntries]]);
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (failure === undefined && running < limit && pending.length > 0) {
        const { dir, rel } = pending.shift()!;
        const session = sessions[(listed + running) % sessions.length]!;
        running += 1;
        const read = prefetched.get(dir);
        prefetched.delete(dir);
        (read ? Promise.resolve(read) : session.readdir(dir)).then(
          (entries) => {
            for (const entry of entries) {
              if (entry.filename === '.' || entry.filename === '..') continue;
              const relPath = rel ? `${rel}/${entry.filename}` : entry.filename;
              const type = (entry.attrs.mode ?? 0) & S_IFMT;
              if (++listed % 200 === 0) heartbeat({ phase: 'listing', listed, lastLine: `listing the remote side: ${listed} entries` });
              if (type === S_IFDIR) {
                tree.dirs.push(relPath);
                pending.push({ dir: `${dir}/${entry.filename}`, rel: relPath });
              } else if (type === S_IFREG && entry.filename.endsWith(TEMP_SUFFIX)) {
                tree.temps.push(relPath);
              } else if (type === S_IFREG) {
                tree.files.push({ path: relPath, size: entry.attrs.size ?? 0, mtime: entry.attrs.mtime ?? 0 });
              }
            }
          },
          (err: unknown) => {
            failure ??= err;
          },
        ).finally(() => {
          running -= 1;
          if (running === 0 && (pending.length === 0 || failure !== undefined)) resolve();
          else pump();
        });
      }
      if (running === 0) resolve();
    };
    pump();
  });
  if (failure !== undefined) throw failure;
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  tree.files.sort((a, b) => byName(a.path, b.path));
  tree.dirs.sort(byName);
  tree.temps.sort(byName);
  return tree;
}
