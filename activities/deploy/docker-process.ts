import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { log } from '@temporalio/activity';
import { endProcessGroup, sleep } from '../process/process-identity.js';
import { processPaths, runTrackedProcess, type ProcessRecord, type TrackedProcessOptions, type TrackedProcessOutcome } from '../process/tracked-process.js';

const run = promisify(execFile);

/** A short docker command (tag, inspect) whose output is needed at once. */
export async function dockerOutput(dockerPath: string, args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await run(dockerPath, args, { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/**
 * A tracked process with a hard time limit counted from when the process itself started, so a
 * process adopted after a worker crash keeps its original deadline. A `docker push` stuck on a
 * dead connection never ends by itself; this ends its whole process group instead.
 */
export async function runBoundedProcess(opts: TrackedProcessOptions & { timeoutMs: number }): Promise<TrackedProcessOutcome & { timedOut: boolean }> {
  const paths = processPaths(opts.dir);
  let finished = false;
  let timedOut = false;
  const watchdog = (async () => {
    while (!finished) {
      await sleep(500);
      const record = await readFile(paths.record, 'utf8').then((t) => JSON.parse(t) as ProcessRecord, () => undefined);
      const exited = await readFile(paths.exit, 'utf8').then(() => true, () => false);
      if (!record || exited || finished) continue;
      if (Date.now() - Date.parse(record.startedAt) > opts.timeoutMs) {
        timedOut = true;
        const how = await endProcessGroup(record.pgid, opts.killGraceMs);
        log.warn('process exceeded its time limit; ended it', { pid: record.pid, timeoutMs: opts.timeoutMs, how });
        return;
      }
    }
  })();
  try {
    const outcome = await runTrackedProcess(opts);
    return { ...outcome, timedOut };
  } finally {
    finished = true;
    await watchdog;
  }
}

/** The log of this attempt only: what follows the last "=== runbook: attempt" header. */
export async function currentAttemptLog(logPath: string): Promise<string> {
  const text = await readFile(logPath, 'utf8').catch(() => '');
  const tail = text.length > 256 * 1024 ? text.slice(-256 * 1024) : text;
  const marker = tail.lastIndexOf('=== runbook: attempt');
  return marker >= 0 ? tail.slice(marker) : tail;
}
