import { stat } from 'node:fs/promises';
import path from 'node:path';
import { log } from '@temporalio/activity';
import type { FigureView } from '../../config/load.js';
import type { EnvValue } from '../../config/schema.js';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable, retryable } from '../failures.js';
import { tailLines } from '../process/log-follower.js';
import { runTrackedProcess } from '../process/tracked-process.js';
import { runDir } from '../run-dir.js';
import { plainEnv, redactor } from '../secrets/references.js';
import { resolveScriptEnv } from '../secrets/site-env.js';
import { sha256File, type ManifestFile } from './validate-compiled-data.js';

export interface RunFigureInput {
  /** The figure without its env: that is read from `configPath` here, references resolved. */
  figure: FigureView & { env?: Record<string, EnvValue> };
  /** The config on the worker's disk; absent only in inputs scheduled before env moved out of history. */
  configPath?: string;
  siteDir: string;
  stateDir: string;
  outputDir: string;
  killGraceSeconds: number;
}

/** Output paths are relative to the site dir, as the scripts write them (`data/compiled/x.pkl`). */
function resolveOutput(siteDir: string, output: string): string {
  return path.resolve(siteDir, output);
}

/**
 * Runs one figure-pickling script and checks that every declared .pkl is there, non-empty and
 * written by this run (a stale pickle from last month would otherwise pass silently).
 */
export async function runFigureScript(aws: AwsClientFactory, input: RunFigureInput): Promise<ManifestFile[]> {
  const dir = path.join(runDir(input.stateDir), `figure-${input.figure.name}`);
  const resolved = input.configPath ? await resolveScriptEnv(aws, input.configPath, 'figure', input.figure.name) : { env: plainEnv(input.figure.env), secrets: [] };
  const redact = redactor(resolved.secrets);
  const result = await runTrackedProcess({
    dir,
    command: input.figure.command,
    cwd: input.siteDir,
    env: { ...resolved.env, RUNBOOK_OUTPUT_DIR: input.outputDir },
    killGraceMs: input.killGraceSeconds * 1000,
    slot: { stateDir: input.stateDir, name: `figure-${input.figure.name}`, label: `figure script "${input.figure.name}"` },
    redact,
  });
  if (result.exitCode !== 0) {
    const tail = redact(await tailLines(result.logPath, 20));
    throw retryable(
      'StepExitedNonZero',
      `Figure script "${input.figure.name}" ${result.exitCode === null ? 'was killed' : `exited with code ${result.exitCode}`}; log: ${result.logPath}\n--- last lines ---\n${tail}`,
    );
  }
  // Judge freshness by the process's own start, which precedes this attempt when adopted;
  // the slack covers file systems with coarse timestamps.
  const freshSince = Date.parse(result.startedAt) - 2000;
  const entries: ManifestFile[] = [];
  for (const output of input.figure.outputs) {
    const file = resolveOutput(input.siteDir, output);
    const info = await stat(file).catch(() => undefined);
    if (!info || !info.isFile()) {
      throw nonRetryable('MissingOutput', `Figure script "${input.figure.name}" finished but did not write ${output}: fix the script or its "outputs" in the config.`);
    }
    if (info.size === 0) {
      throw nonRetryable('MissingOutput', `Figure script "${input.figure.name}" wrote an empty ${output}: fix the script.`);
    }
    if (info.mtimeMs < freshSince) {
      throw nonRetryable('MissingOutput', `Figure script "${input.figure.name}" did not rewrite ${output} (it is older than this run): fix the script or its "outputs" in the config.`);
    }
    entries.push({
      path: path.relative(input.outputDir, file).split(path.sep).join('/'),
      kind: 'figure',
      bytes: info.size,
      sha256: await sha256File(file),
      mtimeMs: info.mtimeMs,
      producedBy: input.figure.name,
    });
  }
  log.info('figure script finished', { figure: input.figure.name, outputs: entries.length });
  return entries;
}
