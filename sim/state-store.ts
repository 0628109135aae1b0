import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { emptyState, type SimState } from './state.js';

// Written synchronously after every request that changed something: the file is small, and a
// sim killed mid-run must still have on disk every resource it reported as created.
export class StateStore {
  state: SimState;
  private lastWritten = '';
  private readonly file: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'state.json');
    this.state = emptyState();
    if (existsSync(this.file)) {
      const text = readFileSync(this.file, 'utf8');
      let loaded: Partial<SimState>;
      try {
        loaded = JSON.parse(text) as Partial<SimState>;
      } catch (err) {
        throw new Error(`${this.file} is not valid JSON; move it aside or start the sim with another --state-dir.`, { cause: err });
      }
      // Merge onto an empty state so a file from an older sim gains the sections it lacked.
      this.state = { ...emptyState(), ...loaded } as SimState;
      this.lastWritten = text;
    }
  }

  /** Atomic write (temp file + rename), skipped when nothing changed. */
  save(): void {
    const text = JSON.stringify(this.state, null, 1);
    if (text === this.lastWritten) return;
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, this.file);
    this.lastWritten = text;
  }

  replace(next: SimState): void {
    this.state = next;
    this.save();
  }
}
