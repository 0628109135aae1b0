import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { REGION_DEFAULT } from './ids.js';
import { emptyRegion, emptyState, type RegionalState, type SimState } from './state.js';

type Sections = Partial<SimState> & Partial<RegionalState>;

/**
 * Merges a loaded file onto an empty state, so a file from an older sim gains the sections it
 * lacked; a version-1 file (one region for everything) becomes the default region's.
 */
function upgrade(loaded: Sections): SimState {
  const { transfer, efs, eb, ecr, ...rest } = loaded;
  const state: SimState = { ...emptyState(), ...rest, version: 2 };
  if (transfer || efs || eb || ecr) {
    const base = emptyRegion();
    state.regions[REGION_DEFAULT] = { ...base, transfer: transfer ?? base.transfer, efs: efs ?? base.efs, eb: eb ?? base.eb, ecr: ecr ?? base.ecr };
  }
  // Regions saved before a regional service existed gain its empty section.
  for (const [name, region] of Object.entries(state.regions)) state.regions[name] = { ...emptyRegion(), ...region };
  for (const bucket of Object.values(state.s3.buckets)) bucket.region ??= REGION_DEFAULT;
  return state;
}

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
      let loaded: Sections;
      try {
        loaded = JSON.parse(text) as Sections;
      } catch (err) {
        throw new Error(`${this.file} is not valid JSON; move it aside or start the sim with another --state-dir.`, { cause: err });
      }
      this.state = upgrade(loaded);
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
