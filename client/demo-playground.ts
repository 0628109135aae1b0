import type { Client } from '@temporalio/client';

/**
 * Runs still open in the demo's dev server from an earlier session: the sim they talked to is
 * gone (its state is wiped on every start), so resuming them would only fail, and a release
 * among them would keep the site's lock. They end before anything new starts.
 */
export async function terminateLeftoverRuns(client: Client): Promise<string[]> {
  const ended: string[] = [];
  for await (const run of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    await client.workflow
      .getHandle(run.workflowId, run.runId)
      .terminate('left over from an earlier npm run demo session (the sim it used is gone)')
      .then(() => ended.push(run.workflowId))
      // Closed meanwhile (a child ends with its parent).
      .catch(() => undefined);
  }
  return ended;
}

/**
 * On Ctrl-C the playground cancels what people started from the UI, so teardowns run while the
 * worker and the sim are still up, and waits a bounded time for them to close.
 */
export async function cancelOpenRuns(client: Client, waitMs: number): Promise<void> {
  const open: { workflowId: string; runId: string }[] = [];
  for await (const run of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) open.push({ workflowId: run.workflowId, runId: run.runId });
  await Promise.all(open.map((run) => client.workflow.getHandle(run.workflowId, run.runId).cancel().catch(() => undefined)));
  const deadline = Date.now() + waitMs;
  await Promise.all(
    open.map((run) =>
      Promise.race([
        client.workflow.getHandle(run.workflowId, run.runId).result().catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()))),
      ]),
    ),
  );
}
