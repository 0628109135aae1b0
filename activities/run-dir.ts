import { mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { activityInfo, log } from '@temporalio/activity';
import { liveProcessUnder } from './process/live-processes.js';
import { readJsonFile } from './json-file.js';

/** The workflow run an activity serves: releases of a site reuse workflow ids, runs never repeat. */
export interface RunKey {
  workflowId: string;
  runId: string;
}

/** The run this activity serves (activities here always run inside one). */
export function currentRun(): RunKey {
  const execution = activityInfo().workflowExecution;
  if (!execution) throw new Error('this activity must be started by a workflow');
  return { workflowId: execution.workflowId, runId: execution.runId };
}

/** The workflow this activity serves. */
export function currentWorkflowId(): string {
  return currentRun().workflowId;
}

const safe = (name: string): string => name.replace(/[^A-Za-z0-9_.-]/g, '_');

function runsRoot(stateDir: string): string {
  return path.join(stateDir, 'runs');
}

/**
 * This run's directory for logs, process records, journals and manifests:
 * `<stateDir>/runs/<workflowId>/<runId>`. Keyed by the run, never the workflow id alone: a
 * second release under the same id must not adopt the first one's finished steps or digest.
 * History carries only summaries; everything per-file or per-line lives here.
 */
export function runDir(stateDir: string, run: RunKey = currentRun()): string {
  return path.join(runsRoot(stateDir), safe(run.workflowId), safe(run.runId));
}

interface RunMarker extends RunKey {
  workflowType: string;
  createdAt: string;
}

const MARKER = 'run.json';

/**
 * Creates this run's directory (with a marker saying whose it is) and removes the oldest run
 * dirs of the site beyond `keepRuns` per workflow type. A dir whose process still runs, and this
 * run's own, are never removed.
 */
export async function openRunDir(stateDir: string, keepRuns: number): Promise<string> {
  const run = currentRun();
  const dir = runDir(stateDir, run);
  await mkdir(dir, { recursive: true });
  const markerPath = path.join(dir, MARKER);
  const existing = await readMarker(markerPath);
  if (!existing) {
    const marker: RunMarker = { ...run, workflowType: activityInfo().workflowType ?? 'unknown', createdAt: new Date().toISOString() };
    await writeFile(markerPath, JSON.stringify(marker, null, 2));
    await pruneRunDirs(stateDir, keepRuns, dir);
  }
  return dir;
}

function readMarker(file: string): Promise<RunMarker | undefined> {
  return readJsonFile<RunMarker>(file);
}

async function pruneRunDirs(stateDir: string, keepRuns: number, current: string): Promise<void> {
  const root = runsRoot(stateDir);
  const byType = new Map<string, { dir: string; createdAt: string }[]>();
  for (const workflowDir of await readdir(root).catch(() => [] as string[])) {
    const runs = await readdir(path.join(root, workflowDir)).catch(() => [] as string[]);
    for (const runDirName of runs) {
      const dir = path.join(root, workflowDir, runDirName);
      const marker = await readMarker(path.join(dir, MARKER));
      // A dir without a marker predates per-run dirs (or is not ours): leave it alone.
      if (!marker) continue;
      const list = byType.get(marker.workflowType) ?? [];
      list.push({ dir, createdAt: marker.createdAt });
      byType.set(marker.workflowType, list);
    }
  }
  for (const [workflowType, runs] of byType) {
    runs.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    for (const old of runs.slice(keepRuns)) {
      if (old.dir === current) continue;
      const live = await liveProcessUnder(old.dir);
      if (live) {
        log.info('keeping an old run dir: its process still runs', { dir: old.dir, pid: live });
        continue;
      }
      await rm(old.dir, { recursive: true, force: true });
      // The workflow id's dir goes too once its last run is gone.
      await rmdir(path.dirname(old.dir)).catch(() => undefined);
      log.info('removed an old run dir', { dir: old.dir, workflowType, keepRuns });
    }
  }
}
