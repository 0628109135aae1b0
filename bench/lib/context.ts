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
