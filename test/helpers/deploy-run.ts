import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import type { DeployStatus } from '../../workflows/deploy-status.js';
import { deployStatusQuery } from '../../workflows/deploy-status.js';
import { repoRoot } from './sample-site.js';
import { waitFor } from './worker-process.js';

const run = promisify(execFile);

/** `npm run <script> -- args` as a person would type it, against the test's server. */
export async function npmRun(script: string, args: string[], address: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '-s', script, '--', ...args], {
      cwd: repoRoot,
      env: { ...process.env, TEMPORAL_ADDRESS: address },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export async function deployStatus(handle: WorkflowHandle): Promise<DeployStatus | undefined> {
  try {
    return await handle.query(deployStatusQuery);
  } catch {
    return undefined;
  }
}

export function waitForStage(handle: WorkflowHandle, stage: DeployStatus['stage'], timeoutMs = 60_000): Promise<DeployStatus> {
  return waitFor(`deploy stage ${stage}`, async () => {
    const status = await deployStatus(handle);
    if (status && status.stage !== stage && ['completed', 'failed', 'rolled-back', 'cancelled', 'rejected'].includes(status.stage)) {
      throw new Error(`deploy ended as ${status.stage} before reaching ${stage}: ${status.error ?? ''}`);
    }
    return status?.stage === stage ? status : undefined;
  }, timeoutMs, 100);
}
