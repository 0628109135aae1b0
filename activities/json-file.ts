import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

/**
 * The state files activities keep beside a run (markers, records, slots): read and written one
 * way. A write replaces the file atomically, so a crash leaves the old content or the new one.
 */

/** The parsed file, or undefined when it is absent or unreadable (a crash mid-write of an older build). */
export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The parsed file, or undefined when it does not exist; a damaged file throws (the caller must not guess). */
export async function readJsonFileStrict<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Replaces `file` with `value` as JSON through a temp file and a rename; `durable` also fsyncs
 * before the rename, for records whose loss would repeat an action (a sent notification).
 */
export async function writeJsonFile(file: string, value: unknown, options: { durable?: boolean } = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(JSON.stringify(value, null, 2));
    if (options.durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

/**
 * The entries of a JSON-lines journal, in order; an absent file has none. A line cut short by a
 * crash mid-append is skipped: the entry it would have recorded is redone, never trusted.
 */
export async function readJsonLines<T>(file: string): Promise<T[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const entries: T[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      entries.push(JSON.parse(line) as T);
    } catch {
      // A line cut short by a crash.
    }
  }
  return entries;
}
