import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { readJsonLines } from '../json-file.js';

/** One line per completed upload or deletion, so a retry can tell what this run already did. */
export type JournalEntry =
  | { op: 'upload'; path: string; size: number; mtime: number; sha256?: string; attempt: number; /** The earlier attempt whose temp this one continued. */ resumedFrom?: number }
  | { op: 'delete'; path: string; size: number; attempt: number };

export interface Journal {
  uploads: Map<string, Extract<JournalEntry, { op: 'upload' }>>;
  deletes: Map<string, Extract<JournalEntry, { op: 'delete' }>>;
}

export function journalPath(runDirectory: string): string {
  return path.join(runDirectory, 'sync-journal.jsonl');
}

export async function readJournal(file: string): Promise<Journal> {
  const journal: Journal = { uploads: new Map(), deletes: new Map() };
  for (const entry of await readJsonLines<JournalEntry>(file)) {
    if (entry.op === 'upload') journal.uploads.set(entry.path, entry);
    else journal.deletes.set(entry.path, entry);
  }
  return journal;
}

export class JournalWriter {
  /** Lines waiting for the next append; merged so a burst of renames costs one write, not one each. */
  private buffered: string[] = [];
  /** The append that will carry `buffered`, once the one before it is done. */
  private next: Promise<void> | undefined;
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly file: string) {}

  async open(): Promise<this> {
    await mkdir(path.dirname(this.file), { recursive: true });
    return this;
  }

  /**
   * Appends in order, one write at a time, each carrying every line added while the one before
   * was on its way. The promise (or `flush`) settles once this entry (or every one so far) is written.
   */
  add(entry: JournalEntry): Promise<void> {
    this.buffered.push(`${JSON.stringify(entry)}\n`);
    if (!this.next) {
      this.next = this.tail.then(() => {
        const lines = this.buffered;
        this.buffered = [];
        this.next = undefined;
        return appendFile(this.file, lines.join(''));
      });
      // A failed append surfaces through flush(); callers that do not await add() must not crash the worker.
      this.next.catch(() => undefined);
      this.tail = this.next;
    }
    return this.next;
  }

  flush(): Promise<void> {
    return this.tail;
  }
}
