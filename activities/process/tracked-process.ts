import { spawn } from 'node:child_process';
import { appendFile, mkdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { activityInfo, cancellationDetails, cancelled, CancelledFailure, heartbeat, log } from '@temporalio/activity';
import { currentRun } from '../run-dir.js';
import { LogFollower, type Progress } from './log-follower.js';
import { endProcessGroup, groupAlive, isAlive, isSameProcess, processStartTime, sleep } from './process-identity.js';
import { claimProcessSlot, recordProcessSlot, type EndedProcess, type ProcessSlot } from './process-slot.js';
import { readJsonFile, writeJsonFile } from '../json-file.js';

/** What is written next to the log so that any later attempt can find, adopt or end the process. */
export interface ProcessRecord {
  /** The run that started it: only that run may adopt it or take its exit code. */
  workflowId?: string;
  runId?: string;
  pid: number;
  pgid: number;
  host: string;
  startedAt: string;
  procStartTime?: string;
  attempt: number;
  resumeFrom: number | null;
}

/** Heartbeat details: enough for a person in the UI and for the next attempt to resume. */
export interface ProcessHeartbeat extends Progress {
  pid: number;
  pgid: number;
  host: string;
  startedAt: string;
  logPath: string;
}

export interface TrackedProcessOptions {
  /** Directory owned by this one process: record.json, output.log, exit.code. */
  dir: string;
  command: string[];
  cwd: string;
  env?: Record<string, string>;
  progressPattern?: string;
  killGraceMs: number;
  /**
   * The site-wide slot this process fills (a compile step, a figure, a docker build): a process
   * of an earlier run of the same site still running in it is ended (its run is closed) or
   * refused (its run is still open) before a new one starts, never run twice.
   */
  slot?: ProcessSlot;
  /** Called after each poll; used to report progress outside the heartbeat. */
  onProgress?: (progress: ProcessHeartbeat) => Promise<void> | void;
  pollMs?: number;
  /** Masks secret values in an output line before it goes into a heartbeat or a progress report. */
  redact?: (line: string) => string;
}

export interface TrackedProcessOutcome extends Progress {
  exitCode: number | null;
  signal: string | null;
  adopted: boolean;
  resumeFrom: number | null;
  pid: number;
  /** When the process itself started, which may be before this attempt when adopted. */
  startedAt: string;
  logPath: string;
  durationMs: number;
  /** A process of an earlier run that held the same slot and was ended before this one started. */
  endedEarlier: EndedProcess | null;
}

// The supervisor shell writes the exit code to a file, so the outcome of a process that
// outlived its worker can still be read by the next attempt. "$@" keeps argv intact: no shell
// ever parses the configured command.
const SUPERVISOR = [
  '"$@" >> "$RUNBOOK_PROCESS_LOG" 2>&1 < /dev/null',
  'code=$?',
  'printf "%s\\n" "$code" > "$RUNBOOK_PROCESS_EXIT.tmp"',
  'mv "$RUNBOOK_PROCESS_EXIT.tmp" "$RUNBOOK_PROCESS_EXIT"',
  'exit "$code"',
].join('\n');

export function processPaths(dir: string): { record: string; log: string; exit: string } {
  return { record: path.join(dir, 'record.json'), log: path.join(dir, 'output.log'), exit: path.join(dir, 'exit.code') };
}


async function readExitCode(file: string): Promise<number | undefined> {
  try {
    const code = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(code) ? code : undefined;
  } catch {
    return undefined;
  }
}


/**
 * Runs a command as a detached process group that survives its worker, and follows it to the
 * end. A later attempt (after a worker crash or restart) adopts the same process if it is still
 * running, reads its exit code if it finished meanwhile, or ends any leftovers before starting
 * anew: never two copies writing the same files.
 */
export async function runTrackedProcess(opts: TrackedProcessOptions): Promise<TrackedProcessOutcome> {
  const paths = processPaths(opts.dir);
  await mkdir(opts.dir, { recursive: true });
  const host = os.hostname();
  const info = activityInfo();
  const previousBeat = info.heartbeatDetails as ProcessHeartbeat | undefined;
  const run = currentRun();
  let previous = await readJsonFile<ProcessRecord>(paths.record);
  if (previous?.runId && previous.runId !== run.runId) {
    // Never the case with per-run dirs; a record of another run is not this run's result.
    log.warn('ignoring a process record written by another run', { recordRunId: previous.runId, runId: run.runId });
    previous = undefined;
  }
  const began = Date.now();
  let endedEarlier: EndedProcess | null = null;

  let record: ProcessRecord | undefined;
  let adopted = false;
  let follower: LogFollower;

  if (previous && previous.host === host) {
    const finishedCode = await readExitCode(paths.exit);
    if (finishedCode === 0) {
      log.info('process finished while no worker was watching; taking its result', { pid: previous.pid });
      const tail = await LogFollower.fromTail(paths.log, opts.progressPattern);
      return outcome(tail, 0, null, true, previous, paths.log, began, null);
    }
    if (finishedCode === undefined && (await isSameProcess(previous.pid, previous.procStartTime))) {
      log.info('adopting the process a previous attempt started', { pid: previous.pid, attempt: previous.attempt });
      record = previous;
      adopted = true;
    } else if (groupAlive(previous.pgid)) {
      // The supervisor is gone but children live on: they would race a new run on the same files.
      const how = await endProcessGroup(previous.pgid, opts.killGraceMs);
      log.warn('ended leftover processes of a previous attempt before starting anew', { pgid: previous.pgid, how });
    }
  } else if (previous) {
    log.warn('previous attempt ran on another host; its process cannot be seen from here, starting anew', {
      previousHost: previous.host,
      host,
    });
  }

  if (record) {
    follower = await LogFollower.fromTail(paths.log, opts.progressPattern);
  } else {
    // Any retry tells the script where the last attempt had got to (0 if it never reported).
    const resumeFrom = info.attempt > 1 || previous ? (previousBeat?.done ?? 0) : null;
    if (opts.slot) endedEarlier = await claimProcessSlot(opts.slot, run, host, opts.killGraceMs);
    const started = await startProcess(opts, paths, host, info.attempt, resumeFrom, run);
    record = started.record;
    if (opts.slot) await recordProcessSlot(opts.slot, run, record, opts.dir);
    follower = new LogFollower(paths.log, started.logOffset, opts.progressPattern);
  }
  return follow(opts, paths, record, follower, adopted, began, endedEarlier);
}

async function startProcess(
  opts: TrackedProcessOptions,
  paths: ReturnType<typeof processPaths>,
  host: string,
  attempt: number,
  resumeFrom: number | null,
  run: { workflowId: string; runId: string },
): Promise<{ record: ProcessRecord; logOffset: number }> {
  await rm(paths.exit, { force: true });
  const header = `=== runbook: attempt ${attempt} started ${new Date().toISOString()} on ${host}${
    resumeFrom !== null ? `, resuming from ${resumeFrom}` : ''
  }: ${JSON.stringify(opts.command)}\n`;
  await appendFile(paths.log, header);
  // Progress is read only from this attempt's output, not from the lines of the one before.
  const logOffset = (await stat(paths.log)).size;
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...opts.env,
    RUNBOOK_PROCESS_LOG: paths.log,
    RUNBOOK_PROCESS_EXIT: paths.exit,
  };
  if (resumeFrom !== null) env.RUNBOOK_RESUME_FROM = String(resumeFrom);
  else delete env.RUNBOOK_RESUME_FROM;
  const child = spawn('/bin/sh', ['-c', SUPERVISOR, 'runbook-process', ...opts.command], {
    cwd: opts.cwd,
    env,
    detached: true, // its own session and process group, so it outlives a crashed worker
    stdio: 'ignore',
  });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid ?? -1));
    child.once('error', reject);
  });
  child.unref();
  const record: ProcessRecord = {
    workflowId: run.workflowId,
    runId: run.runId,
    pid,
    pgid: pid,
    host,
    startedAt: new Date().toISOString(),
    procStartTime: await processStartTime(pid),
    attempt,
    resumeFrom,
  };
  await writeJsonFile(paths.record, record);
  log.info('started process', { pid, command: opts.command, resumeFrom });
  return { record, logOffset };
}

async function follow(
  opts: TrackedProcessOptions,
  paths: ReturnType<typeof processPaths>,
  record: ProcessRecord,
  follower: LogFollower,
  adopted: boolean,
  began: number,
  endedEarlier: EndedProcess | null,
): Promise<TrackedProcessOutcome> {
  let cancelError: unknown;
  const cancelledPromise = cancelled().catch((err: unknown) => {
    cancelError = err;
  });
  void cancelledPromise;
  let deadSince: number | undefined;
  for (;;) {
    await follower.poll();
    const beat: ProcessHeartbeat = {
      pid: record.pid,
      pgid: record.pgid,
      host: record.host,
      startedAt: record.startedAt,
      logPath: paths.log,
      done: follower.done,
      total: follower.total,
      lastLine: follower.lastLine === null || !opts.redact ? follower.lastLine : opts.redact(follower.lastLine),
    };
    heartbeat(beat);
    if (cancelError !== undefined) return onCancel(opts, record, cancelError);
    await opts.onProgress?.(beat);

    const code = await readExitCode(paths.exit);
    if (code !== undefined) {
      await follower.poll();
      return outcome(follower, code, null, adopted, record, paths.log, began, endedEarlier);
    }
    if (!isAlive(record.pid) || !(await isSameProcess(record.pid, record.procStartTime))) {
      // The supervisor died without writing an exit code: killed from outside (OOM killer, kill -9).
      deadSince ??= Date.now();
      if (Date.now() - deadSince > 1000) {
        if (groupAlive(record.pgid)) await endProcessGroup(record.pgid, opts.killGraceMs);
        await follower.poll();
        return outcome(follower, null, 'SIGKILL', adopted, record, paths.log, began, endedEarlier);
      }
    }
    await Promise.race([sleep(opts.pollMs ?? 500), cancelledPromise]);
  }
}

async function onCancel(opts: TrackedProcessOptions, record: ProcessRecord, err: unknown): Promise<never> {
  const details = cancellationDetails();
  if (details?.workerShutdown) {
    // A worker restart is not a request to stop: leave the process running for the next
    // attempt to adopt, so a deploy of the worker never throws away a day of compute.
    log.info('worker shutting down; leaving the process running for the next attempt', { pid: record.pid });
  } else {
    const how = await endProcessGroup(record.pgid, opts.killGraceMs);
    log.info('cancelled; ended the process group', { pgid: record.pgid, how });
  }
  throw err instanceof CancelledFailure ? err : new CancelledFailure(String(err));
}

function outcome(
  progress: Progress,
  exitCode: number | null,
  signal: string | null,
  adopted: boolean,
  record: ProcessRecord,
  logPath: string,
  began: number,
  endedEarlier: EndedProcess | null,
): TrackedProcessOutcome {
  return {
    exitCode,
    signal,
    adopted,
    resumeFrom: record.resumeFrom,
    pid: record.pid,
    startedAt: record.startedAt,
    logPath,
    durationMs: Date.now() - began,
    done: progress.done,
    total: progress.total,
    lastLine: progress.lastLine,
    endedEarlier,
  };
}
