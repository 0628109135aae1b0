import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { readJsonLines } from '../json-file.js';

/**
 * How far each piece of a file being uploaded is proven written on the server (its write was
 * acknowledged, and every write before it in that piece), kept in the run dir so a retry after a
 * crash continues there instead of at byte 0. One JSON line per progress step; the last line
 * for a piece wins.
 */
export interface PartialLine {
  /** Local relative path. */
  p: string;
  /** The remote temp file it is being written into. */
  t: string;
  /** Local size and mtimeMs when it was started: a file changed since then starts over. */
  s: number;
  m: number;
  /** The attempt that created the temp. */
  a: number;
  /** Piece index and the absolute offset proven written up to. */
  i: number;
  o: number;
}

export interface PartialUpload {
  temp: string;
  attempt: number;
  size: number;
  mtimeMs: number;
  /** Piece index → absolute offset proven written up to. */
  proven: Map<number, number>;
}

export function partialsPath(runDirectory: string): string {
  return path.join(runDirectory, 'sync-partials.jsonl');
}

export async function readPartials(file: string): Promise<Map<string, PartialUpload>> {
  const out = new Map<string, PartialUpload>();
  for (const e of await readJsonLines<PartialLine>(file)) {
    let entry = out.get(e.p);
    // A new temp (or a restart from 0) replaces what was known for that path.
    if (!entry || entry.temp !== e.t || entry.size !== e.s || entry.mtimeMs !== e.m) {
      entry = { temp: e.t, attempt: e.a, size: e.s, mtimeMs: e.m, proven: new Map() };
      out.set(e.p, entry);
    }
    if (e.i >= 0) entry.proven.set(e.i, e.o);
    else entry.proven.clear();
  }
  return out;
}

/**
 * Appends progress lines without ever queueing more than one write: updates that arrive while a
 * write is on its way are merged (the newest per piece), so the record trails the acks by one
 * small append, whatever the rate of acks.
 */
export class PartialLog {
  private readonly dirty = new Map<string, PartialLine>();
  private writing: Promise<void> | undefined;

  constructor(private readonly file: string) {}

  async open(): Promise<this> {
    await mkdir(path.dirname(this.file), { recursive: true });
    return this;
  }

  note(line: PartialLine): void {
    this.dirty.set(`${line.i}\u0000${line.p}`, line);
    this.writing ??= this.drain();
  }

  /** Forget what was proven for a path (its temp is being written again from byte 0). */
  reset(p: string, t: string, s: number, m: number, a: number): void {
    for (const key of [...this.dirty.keys()]) if (key.endsWith(`\u0000${p}`)) this.dirty.delete(key);
    this.note({ p, t, s, m, a, i: -1, o: 0 });
  }

  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty.size > 0) {
        const lines = [...this.dirty.values()];
        this.dirty.clear();
        await appendFile(this.file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
      }
    } catch {
      // Losing the record costs only re-sending on a resume; never fail the upload for it.
      this.dirty.clear();
    } finally {
      this.writing = undefined;
    }
  }
}
