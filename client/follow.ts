import type { Client, WorkflowHandle } from '@temporalio/client';
import { formatStatusLine, readStatus, type StatusView } from './progress-view.js';

export interface FollowOutcome {
  workflowId: string;
  runId?: string;
  status: string;
  result?: unknown;
  error?: string;
  lastStatus?: StatusView;
}

/**
 * Follows a run until it closes: a redrawn progress bar on a terminal, one line per change
 * otherwise (logs, CI). Works for runs this client did not start.
 */
export async function followWorkflow(client: Client, handle: WorkflowHandle, opts: { json: boolean; pollMs?: number }): Promise<FollowOutcome> {
  const out = opts.json ? process.stderr : process.stdout;
  const tty = Boolean(out.isTTY);
  let settled = false;
  let result: unknown;
  let error: string | undefined;
  const done = handle.result().then(
    (value) => {
      result = value;
    },
    (err: unknown) => {
      error = describeFailure(err);
    },
  ).finally(() => {
    settled = true;
  });

  let lastKey = '';
  let lastStatus: StatusView | undefined;
  while (!settled) {
    const status = await readStatus(handle, client);
    if (status) {
      lastStatus = status;
      const line = formatStatusLine(status, tty);
      // Off a terminal, print only when something other than the clock changed: a release's
      // child moving on (compile starting → compiling) counts, its progress counts do not.
      const key = JSON.stringify([status.stage, status.step, status.done, status.total, status.lastLine, status.child?.stage, status.child?.step]);
      if (tty) out.write(`\r\x1b[2K${line.slice(0, (out.columns ?? 120) - 1)}`);
      else if (key !== lastKey) out.write(`${line}\n`);
      lastKey = key;
    }
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 1000))]);
  }
  if (tty) out.write('\n');
  const final = await readStatus(handle, client);
  if (final) lastStatus = final;
  const description = await handle.describe();
  return {
    workflowId: handle.workflowId,
    runId: description.runId,
    status: description.status.name,
    result,
    error,
    lastStatus,
  };
}

/** Walks the failure chain (workflow → activity → application) into one readable message. */
export function describeFailure(err: unknown): string {
  const messages: string[] = [];
  let current: unknown = err;
  while (current instanceof Error) {
    if (current.message && !messages.includes(current.message)) messages.push(current.message);
    current = current.cause;
  }
  // The innermost message is the one that says what went wrong; outer ones say where.
  return messages.length > 1 ? `${messages.at(-1)} (${messages.slice(0, -1).join(' → ')})` : (messages[0] ?? String(err));
}
