import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { log } from '@temporalio/activity';
import { runDir } from '../run-dir.js';
import { migrateLegacySiteState, siteState } from '../site-state.js';
import { publishLastGoodManifest } from './last-good-manifest.js';
import { readJsonFile, writeJsonFile } from '../json-file.js';

export interface OutputDirInput {
  stateDir: string;
  outputDir: string;
  /** fresh: every step runs, start from an empty dir (as `rm -rf data/compiled` did); update: some steps run over the old data. */
  mode: 'fresh' | 'update';
}

export interface PreparedOutput {
  backupDir: string | null;
  mode: 'fresh' | 'update';
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

// Kept under the state dir, not beside the data: a sync of the data dir must never upload them.
function backupPath(stateDir: string): string {
  return siteState(stateDir).outputBackup;
}

export function failedOutputPath(stateDir: string): string {
  return siteState(stateDir).failedOutput;
}

/** rename, or copy and delete when the state dir is on another file system. */
async function move(from: string, to: string): Promise<void> {
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await cp(from, to, { recursive: true, preserveTimestamps: true });
    await rm(from, { recursive: true, force: true });
  }
}

/**
 * Keeps the last good compiled data aside until the new data validates: a compile that fails
 * on day two must not have destroyed what the site serves today. Idempotent per run: a second
 * release under the same workflow id backs up the data again.
 */
export async function prepareOutputDir(input: OutputDirInput): Promise<PreparedOutput> {
  await migrateLegacySiteState(input.stateDir);
  const marker = path.join(runDir(input.stateDir), 'output-prepared.json');
  // A marker means an earlier attempt of this workflow prepared already.
  const earlier = await readJsonFile<PreparedOutput>(marker);
  if (earlier) return earlier;
  const backup = backupPath(input.stateDir);
  if (await exists(backup)) {
    // An earlier run died between prepare and commit: its backup is the last data that validated.
    log.warn('found the backup of an earlier unfinished compile; restoring it first', { backup });
    await rm(input.outputDir, { recursive: true, force: true });
    await move(backup, input.outputDir);
  }
  let prepared: PreparedOutput = { backupDir: null, mode: input.mode };
  if (await exists(input.outputDir)) {
    if (input.mode === 'fresh') {
      await move(input.outputDir, backup); // a rename on one file system: instant, whatever the size
    } else {
      await mkdir(path.dirname(backup), { recursive: true });
      await cp(input.outputDir, `${backup}.partial`, { recursive: true, preserveTimestamps: true });
      await rename(`${backup}.partial`, backup);
    }
    prepared = { backupDir: backup, mode: input.mode };
  }
  await mkdir(input.outputDir, { recursive: true });
  await writeJsonFile(marker, prepared);
  log.info('output dir prepared', { ...prepared });
  return prepared;
}

/**
 * The new data validated: the old copy is no longer needed, and the new data's manifest becomes
 * the site's last good one (the sync reads its hashes).
 */
export async function commitOutputDir(input: { outputDir: string; prepared: PreparedOutput; stateDir?: string; manifestPath?: string }): Promise<void> {
  if (input.stateDir && input.manifestPath) await publishLastGoodManifest(input.stateDir, input.manifestPath);
  if (input.prepared.backupDir) await rm(input.prepared.backupDir, { recursive: true, force: true });
}

/** The compile failed or was cancelled: put the last good data back, keep the failed output for a look. */
export async function restorePreviousOutput(input: { stateDir: string; outputDir: string; prepared: PreparedOutput }): Promise<{ failedDir: string | null }> {
  const backup = input.prepared.backupDir;
  if (!backup || !(await exists(backup))) return { failedDir: null };
  const failedDir = failedOutputPath(input.stateDir);
  await rm(failedDir, { recursive: true, force: true });
  if (await exists(input.outputDir)) await move(input.outputDir, failedDir);
  await move(backup, input.outputDir);
  log.warn('restored the previous compiled data', { outputDir: input.outputDir, failedDir });
  return { failedDir };
}
