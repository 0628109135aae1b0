import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { nonRetryable } from '../failures.js';

/**
 * Data files other than Feather that sites of the family publish, checked the way a reader of
 * each would open them: TrendFinder's df.csv and kwargs.json, cellxgene's Matrix Market matrices.
 * Any other file in the output dir is left alone, as before.
 */
export const TEXT_DATA_EXTENSIONS: ReadonlySet<string> = new Set(['.csv', '.tsv', '.json', '.mtx']);

export type TextDataKind = 'table' | 'json' | 'matrix';

export interface TextDataInfo {
  kind: TextDataKind;
  rows?: number;
  columns?: number;
}

function corrupt(relative: string, why: string): Error {
  return nonRetryable('CorruptData', `Compiled file ${relative} ${why}: fix or re-run the step that writes it.`, { file: relative });
}

/** Fields of one delimited line, quotes respected (RFC 4180). */
function countFields(line: string, delimiter: string): number {
  let fields = 1;
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (c === delimiter && !quoted) fields++;
  }
  return fields;
}

export async function inspectTextData(file: string, relative: string): Promise<TextDataInfo> {
  const text = await readFile(file, 'utf8');
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') {
    try {
      JSON.parse(text);
    } catch (err) {
      throw corrupt(relative, `is not valid JSON (${(err as Error).message})`);
    }
    return { kind: 'json' };
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (ext === '.mtx') return inspectMatrixMarket(lines, relative);
  const delimiter = ext === '.tsv' ? '\t' : ',';
  const header = lines[0];
  if (header === undefined || header.trim() === '') throw corrupt(relative, 'has no header row');
  const columns = countFields(header, delimiter);
  for (const [i, line] of lines.entries()) {
    const fields = countFields(line, delimiter);
    if (fields !== columns) throw corrupt(relative, `has ${fields} fields on line ${i + 1}, but its header has ${columns}`);
  }
  if (lines.length < 2) throw corrupt(relative, 'has a header and no rows (an empty table is never valid data)');
  return { kind: 'table', rows: lines.length - 1, columns };
}

/** Coordinate Matrix Market: the banner, a size line, then exactly nnz entries inside the size. */
function inspectMatrixMarket(lines: string[], relative: string): TextDataInfo {
  if (!/^%%MatrixMarket matrix coordinate (real|integer|pattern) general$/i.test(lines[0] ?? '')) {
    throw corrupt(relative, 'does not start with a "%%MatrixMarket matrix coordinate <real|integer|pattern> general" banner');
  }
  const body = lines.slice(1).filter((l) => !l.startsWith('%'));
  const size = (body[0] ?? '').trim().split(/\s+/).map(Number);
  const [rows, cols, nnz] = size;
  if (size.length !== 3 || rows === undefined || cols === undefined || nnz === undefined || size.some((n) => !Number.isInteger(n) || n < 0)) {
    throw corrupt(relative, 'has no "rows columns entries" size line after its banner');
  }
  const entries = body.slice(1);
  if (entries.length !== nnz) throw corrupt(relative, `declares ${nnz} entries but holds ${entries.length}`);
  for (const [i, entry] of entries.entries()) {
    const [r, c] = entry.trim().split(/\s+/).map(Number);
    if (!Number.isInteger(r) || !Number.isInteger(c) || (r as number) < 1 || (r as number) > rows || (c as number) < 1 || (c as number) > cols) {
      throw corrupt(relative, `has entry ${i + 1} ("${entry.trim()}") outside its ${rows} x ${cols} size`);
    }
  }
  if (nnz === 0) throw corrupt(relative, 'holds no entries (an empty matrix is never valid data)');
  return { kind: 'matrix', rows, columns: cols };
}
