import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { log } from '@temporalio/activity';
import { runDir } from '../run-dir.js';

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

function backupPath(outputDir: string): string {
  return `${outputDir}.previous`;
}

/**
 * Keeps the last good compiled data aside until the new data validates: a compile that fails
 * on day two must not have destroyed what the site serves today. Idempotent per workflow.
 */
export async function prepareOutputDir(input: OutputDirInput): Promise<PreparedOutput> {
  const marker = path.join(runDir(input.stateDir), 'output-prepared.json');
  try {
    return JSON.parse(await readFile(marker, 'utf8')) as PreparedOutput;
  } catch {
    // First attempt for this workflow.
  }
  const backup = backupPath(input.outputDir);
  if (await exists(backup)) {
    // An earlier run died between prepare and commit: its backup is the last data that validated.
    log.warn('found the backup of an earlier unfinished compile; restoring it first', { backup });
    await rm(input.outputDir, { recursive: true, force: true });
    await rename(backup, input.outputDir);
  }
  let prepared: PreparedOutput = { backupDir: null, mode: input.mode };
  if (await exists(input.outputDir)) {
    if (input.mode === 'fresh') {
      await rename(input.outputDir, backup); // same file system: instant, whatever the size
    } else {
      await cp(input.outputDir, `${backup}.partial`, { recursive: true, preserveTimestamps: true });
      await rename(`${backup}.partial`, backup);
    }
    prepared = { backupDir: backup, mode: input.mode };
  }
  await mkdir(input.outputDir, { recursive: true });
  await mkdir(path.dirname(marker), { recursive: true });
  await writeFile(marker, JSON.stringify(prepared));
  log.info('output dir prepared', { ...prepared });
  return prepared;
}

/** The new data validated: the old copy is no longer needed. */
export async function commitOutputDir(input: { outputDir: string; prepared: PreparedOutput }): Promise<void> {
  if (input.prepared.backupDir) await rm(input.prepared.backupDir, { recursive: true, force: true });
}

/** The compile failed or was cancelled: put the last good data back, keep the failed output for a look. */
export async function restorePreviousOutput(input: { outputDir: string; prepared: PreparedOutput }): Promise<{ failedDir: string | null }> {
  const backup = input.prepared.backupDir;
  if (!backup || !(await exists(backup))) return { failedDir: null };
  const failedDir = `${input.outputDir}.failed`;
  await rm(failedDir, { recursive: true, force: true });
  if (await exists(input.outputDir)) await rename(input.outputDir, failedDir);
  await rename(backup, input.outputDir);
  log.warn('restored the previous compiled data', { outputDir: input.outputDir, failedDir });
  return { failedDir };
}
