import { readFile } from 'node:fs/promises';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startDevServer } from '../../test/helpers/temporal-env.js';

/** A real Temporal dev server (the tests' helper), torn down after `use`. */
export async function withDevServer<T>(use: (env: TestWorkflowEnvironment) => Promise<T>): Promise<T> {
  const env = await startDevServer();
  try {
    return await use(env);
  } finally {
    await env.teardown();
  }
}

/** Parent pid of a process, from /proc. */
export async function parentOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
