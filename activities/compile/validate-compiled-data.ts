import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { heartbeat, log } from '@temporalio/activity';
import { RecordBatchReader } from 'apache-arrow';
import { nonRetryable } from '../failures.js';
import { currentWorkflowId, runDir } from '../run-dir.js';
import { registerFeatherCodecs } from './feather-codecs.js';
import { writeJsonFile } from '../json-file.js';
import { inspectTextData, TEXT_DATA_EXTENSIONS, type TextDataKind } from './inspect-text-data.js';

export interface ManifestFile {
  /** Path relative to the output dir, with forward slashes. */
  path: string;
  kind: 'feather' | 'figure' | TextDataKind;
  bytes: number;
  sha256: string;
  mtimeMs: number;
  rows?: number;
  columns?: number;
  schema?: { name: string; type: string; nullable: boolean }[];
  producedBy?: string;
}

export interface Manifest {
  site: string;
  workflowId: string;
  outputDir: string;
  createdAt: string;
  files: ManifestFile[];
}

/** What history carries: a pointer and totals, never the per-file list. */
export interface ManifestSummary {
  path: string;
  files: number;
  rows: number;
  bytes: number;
}

export interface ValidateInput {
  site: string;
  stateDir: string;
  outputDir: string;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listDataFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && (entry.name.endsWith('.feather') || TEXT_DATA_EXTENSIONS.has(path.extname(entry.name).toLowerCase()))) found.push(full);
    }
  }
  await walk(root);
  return found.sort();
}

/** Opens one feather (Arrow IPC file) end to end: schema, every batch decoded, rows counted. */
async function inspectFeather(file: string, relative: string): Promise<Pick<ManifestFile, 'rows' | 'columns' | 'schema'>> {
  registerFeatherCodecs();
  const handle = await open(file, 'r');
  try {
    const reader = await (await RecordBatchReader.from(handle)).open();
    const schema = reader.schema as typeof reader.schema | undefined;
    if (!schema) throw new Error('no Arrow schema found');
    const fields = schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable }));
    let rows = 0;
    for await (const batch of reader) rows += batch.numRows;
    return { rows, columns: fields.length, schema: fields };
  } catch (err) {
    throw nonRetryable(
      'CorruptData',
      `Compiled file ${relative} cannot be read as Feather/Arrow IPC (${(err as Error).message}): fix or re-run the step that writes it.`,
      { file: relative },
    );
  } finally {
    await handle.close();
  }
}

/**
 * Opens every compiled feather file and writes the manifest to disk. Results are appended to a
 * partial file as they come, so a retry after a crash re-reads only files it had not finished.
 */
export async function validateCompiledData(input: ValidateInput): Promise<ManifestSummary> {
  const dir = runDir(input.stateDir);
  await mkdir(dir, { recursive: true });
  const partialPath = path.join(dir, 'manifest.partial.jsonl');
  const done = new Map<string, ManifestFile>();
  try {
    for (const line of (await readFile(partialPath, 'utf8')).split('\n')) {
      if (line.trim()) {
        const entry = JSON.parse(line) as ManifestFile;
        done.set(entry.path, entry);
      }
    }
  } catch {
    // Nothing validated yet.
  }
  let files: string[];
  try {
    files = await listDataFiles(input.outputDir);
  } catch {
    throw nonRetryable('MissingOutput', `Output dir ${input.outputDir} does not exist: check compile.outputDir in the config.`);
  }
  if (files.length === 0) {
    throw nonRetryable('MissingOutput', `No .feather files (nor .csv, .tsv, .json or .mtx data) were written under ${input.outputDir}: check that the compile steps write there (compile.outputDir).`);
  }
  const entries: ManifestFile[] = [];
  for (const [index, file] of files.entries()) {
    const relative = path.relative(input.outputDir, file).split(path.sep).join('/');
    heartbeat({ file: relative, index, total: files.length });
    const info = await stat(file);
    const cached = done.get(relative);
    if (cached && cached.bytes === info.size && cached.mtimeMs === info.mtimeMs) {
      entries.push(cached);
      continue;
    }
    if (info.size === 0) {
      throw nonRetryable('CorruptData', `Compiled file ${relative} is empty (0 bytes): re-run the step that writes it.`, { file: relative });
    }
    if (!file.endsWith('.feather')) {
      const { kind, ...counts } = await inspectTextData(file, relative);
      const entry: ManifestFile = { path: relative, kind, bytes: info.size, sha256: await sha256File(file), mtimeMs: info.mtimeMs, ...counts };
      await appendFile(partialPath, `${JSON.stringify(entry)}\n`);
      entries.push(entry);
      continue;
    }
    const inspected = await inspectFeather(file, relative);
    if (!inspected.rows) {
      throw nonRetryable('CorruptData', `Compiled file ${relative} has no rows: check the step that writes it, an empty table is never valid data.`, {
        file: relative,
      });
    }
    const entry: ManifestFile = { path: relative, kind: 'feather', bytes: info.size, sha256: await sha256File(file), mtimeMs: info.mtimeMs, ...inspected };
    await appendFile(partialPath, `${JSON.stringify(entry)}\n`);
    entries.push(entry);
  }
  const manifest: Manifest = {
    site: input.site,
    workflowId: currentWorkflowId(),
    outputDir: input.outputDir,
    createdAt: new Date().toISOString(),
    files: entries,
  };
  const manifestPath = path.join(dir, 'manifest.json');
  await writeJsonFile(manifestPath, manifest);
  log.info('validated compiled data', { files: entries.length, manifestPath });
  return summarize(manifestPath, manifest);
}

export function summarize(manifestPath: string, manifest: Manifest): ManifestSummary {
  return {
    path: manifestPath,
    files: manifest.files.length,
    rows: manifest.files.reduce((sum, f) => sum + (f.rows ?? 0), 0),
    bytes: manifest.files.reduce((sum, f) => sum + f.bytes, 0),
  };
}

