import path from 'node:path';
import { log } from '@temporalio/activity';
import type { CompileStepView } from '../../config/load.js';
import type { EnvValue } from '../../config/schema.js';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable, retryable } from '../failures.js';
import { tailLines } from '../process/log-follower.js';
import { runTrackedProcess } from '../process/tracked-process.js';
import { runDir } from '../run-dir.js';
import { plainEnv, redactor } from '../secrets/references.js';
import { resolveScriptEnv } from '../secrets/site-env.js';
import { withStepProgress } from './progress-reporter.js';

export interface RunCompileStepInput {
  /** The step without its env: that is read from `configPath` here, references resolved. */
  step: CompileStepView & { env?: Record<string, EnvValue> };
  /** The config on the worker's disk; absent only in inputs scheduled before env moved out of history. */
  configPath?: string;
  siteDir: string;
  stateDir: string;
  outputDir: string;
  progressPattern?: string;
  killGraceSeconds: number;
  /** Signal of the calling workflow that receives progress, if any. */
  progressSignal?: string;
}

export interface CompileStepResult {
  step: string;
  durationMs: number;
  adopted: boolean;
  resumedFrom: number | null;
  done: number | null;
  total: number | null;
  lastLine: string | null;
  logPath: string;
  /** The same step of an earlier, closed run that was still running and was ended first. */
  endedEarlier: { pid: number; workflowId: string; runId: string } | null;
}

/**
 * One compile step as a subprocess that may run for days. Its output goes to a log on disk and
 * its progress into heartbeats; a retry adopts the process or resumes from the last progress.
 */
export async function runCompileStep(aws: AwsClientFactory, input: RunCompileStepInput): Promise<CompileStepResult> {
  const dir = path.join(runDir(input.stateDir), `step-${input.step.name}`);
  const resolved = input.configPath ? await resolveScriptEnv(aws, input.configPath, 'step', input.step.name) : { env: plainEnv(input.step.env), secrets: [] };
  const redact = redactor(resolved.secrets);
  const result = await withStepProgress(input.progressSignal, input.step.name, (onProgress) =>
    runTrackedProcess({
      dir,
      command: input.step.command,
      cwd: input.siteDir,
      env: { ...resolved.env, RUNBOOK_OUTPUT_DIR: input.outputDir, RUNBOOK_STEP: input.step.name },
      progressPattern: input.progressPattern,
      killGraceMs: input.killGraceSeconds * 1000,
      redact,
      onProgress,
      slot: { stateDir: input.stateDir, name: `compile-step-${input.step.name}`, label: `compile step "${input.step.name}"` },
    }),
  );
  if (result.exitCode === 0) {
    log.info('compile step finished', { step: input.step.name, adopted: result.adopted, durationMs: result.durationMs });
    return {
      step: input.step.name,
      durationMs: result.durationMs,
      adopted: result.adopted,
      resumedFrom: result.resumeFrom,
      done: result.done,
      total: result.total,
      lastLine: result.lastLine === null ? null : redact(result.lastLine),
      logPath: result.logPath,
      endedEarlier: result.endedEarlier ? { pid: result.endedEarlier.pid, workflowId: result.endedEarlier.workflowId, runId: result.endedEarlier.runId } : null,
    };
  }
  const tail = redact(await tailLines(result.logPath, 20));
  const how = result.exitCode === null ? `was killed (${result.signal ?? 'signal'})` : `exited with code ${result.exitCode}`;
  const message = `Compile step "${input.step.name}" ${how}; log: ${result.logPath}\n--- last lines ---\n${tail}`;
  if (result.exitCode !== null && input.step.nonRetryableExitCodes?.includes(result.exitCode)) {
    throw nonRetryable('StepFailed', `${message}\n(exit code ${result.exitCode} is configured as not worth retrying: fix the cause and start a new compile)`);
  }
  throw retryable(result.exitCode === null ? 'StepCrashed' : 'StepExitedNonZero', message);
}
