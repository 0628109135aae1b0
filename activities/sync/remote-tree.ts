import { heartbeat } from '@temporalio/activity';
import { TEMP_SUFFIX } from './local-tree.js';
import type { RemoteTree } from './plan-sync.js';
import type { FileEntryWithStats } from 'ssh2';
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
 * costs several round trips per dir. `known` (relative dirs, "" the root: what the record of the
 * last verified sync holds) are asked for at once rather than level by level as the walk finds
 * them: a three-level tree costs one wave of round trips, not three. The tree is still built
 * from what each parent lists: a known dir that is gone or no longer a dir is not in it.
 */
export async function listRemoteTree(sftp: Sftp | Sftp[], root: string, known: string[] = []): Promise<RemoteTree> {
  const sessions = Array.isArray(sftp) ? sftp : [sftp];
  const tree: RemoteTree = { files: [], dirs: [], temps: [] };
  let listed = 0;
  // Dirs listed at once, whatever the sessions: a session carries many requests in flight, and the
  // listing often starts on the first connection alone (the others join as they come up). Each
  // dir is three round trips (open, read, read to the end): on a 50 ms link, 8 at once made 100
  // dirs 2.5 s; 64 at once made the 121 of the benchmark's tree two waves, 128 one.
  const limit = 128;
  const queue: (() => void)[] = [];
  let running = 0;
  let turn = 0;
  const reads = new Map<string, Promise<FileEntryWithStats[]>>();
  const read = (rel: string): Promise<FileEntryWithStats[]> => {
    let p = reads.get(rel);
    if (!p) {
      const session = sessions[turn++ % sessions.length]!;
      p = new Promise<FileEntryWithStats[]>((resolve, reject) => {
        queue.push(() => {
          running += 1;
          session.readdir(rel ? `${root}/${rel}` : root).then(resolve, reject).finally(() => {
            running -= 1;
            queue.shift()?.();
          });
        });
        if (running < limit) queue.shift()?.();
      });
      p.catch(() => undefined); // a known dir that is gone matters only if its parent lists it
      reads.set(rel, p);
    }
    return p;
  };
  const depth = (rel: string): number => (rel ? rel.split('/').length : 0);
  const knownDirs = new Set(known);
  for (const rel of ['', ...[...knownDirs].sort((a, b) => depth(a) - depth(b))]) void read(rel);
  const visit = async (rel: string): Promise<void> => {
    let entries: FileEntryWithStats[];
    try {
      entries = await read(rel);
    } catch (err) {
      if (!isNoSuchFile(err) || !knownDirs.has(rel)) throw err;
      // Asked for before its parent listed it, and made since: ask again.
      reads.delete(rel);
      entries = await read(rel);
    }
    const below: Promise<void>[] = [];
    for (const entry of entries) {
      if (entry.filename === '.' || entry.filename === '..') continue;
      const relPath = rel ? `${rel}/${entry.filename}` : entry.filename;
      const type = (entry.attrs.mode ?? 0) & S_IFMT;
      if (++listed % 200 === 0) heartbeat({ phase: 'listing', listed, lastLine: `listing the remote side: ${listed} entries` });
      if (type === S_IFDIR) {
        tree.dirs.push(relPath);
        below.push(visit(relPath));
      } else if (type === S_IFREG && entry.filename.endsWith(TEMP_SUFFIX)) {
        tree.temps.push(relPath);
      } else if (type === S_IFREG) {
        tree.files.push({ path: relPath, size: entry.attrs.size ?? 0, mtime: entry.attrs.mtime ?? 0 });
      }
    }
    await settleAll(below);
  };
  // A root that does not exist yet is an empty tree (the caller makes it); anywhere else a
  // vanished dir is an error.
  const rootListed = await read('').then(() => true, (err: unknown) => {
    if (isNoSuchFile(err)) return false;
    throw err;
  });
  if (!rootListed) return { ...tree, missingRoot: true };
  await visit('');
  const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  tree.files.sort((a, b) => byName(a.path, b.path));
  tree.dirs.sort(byName);
  tree.temps.sort(byName);
  return tree;
}

/** Waits for every promise, then fails with the first failure (none is left running unobserved). */
async function settleAll(promises: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
