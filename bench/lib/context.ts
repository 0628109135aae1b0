import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Section } from './stats.js';

export const benchDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const repoRoot = path.dirname(benchDir);
/** Scratch data (gitignored); big trees are removed after each benchmark. */
export const scratchDir = path.join(benchDir, 'tmp');

export interface BenchContext {
  quick: boolean;
  runs: number;
  log: (line: string) => void;
}

export interface Benchmark {
  id: string;
  describe: string;
  run: (ctx: BenchContext) => Promise<Section[]>;
}

/** Runs two contenders one after the other, the first going first in even runs: neither always gets the warmer (or busier) machine. */
export async function inTurn(run: number, first: () => Promise<void>, second: () => Promise<void>): Promise<void> {
  for (const contender of run % 2 === 0 ? [first, second] : [second, first]) await contender();
}

/**
 * Writes back the page cache's dirty data (sync(1)) before a timed run. Client and server share
 * this machine's disk: without it a run waits on the writeback of the gigabyte the run before it
 * uploaded (a metadata write of the sync process, or of the benchmark's Transfer stand-in, stalled
 * 0.4–1.1 s behind it in development runs), which a real client never does against EFS.
 */
export function settleDisk(): void {
  execFileSync('sync');
}
