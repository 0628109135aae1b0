import { Context } from '@temporalio/activity';
import { hasUntakenWork, hostWaitOf, type HostWait } from './host-wait.js';

export interface WatchDataHostInput {
  /** The child run whose data work is watched (its run id: an earlier run under the same id is closed). */
  workflowId: string;
  runId: string;
  /** The wait the watching workflow shows now (null: none); the watch returns once that changes. */
  known: HostWait | null;
}

export interface WatchDataHostResult {
  wait: HostWait | null;
  /** The watched run has closed: nothing left to watch. */
  ended: boolean;
}

/** How often the server is asked; a wait shows within this plus the 5 s that make work "untaken". */
const POLL_MS = 10_000;
/** One watch ends after this even if nothing changed, so no attempt runs for days. */
const WATCH_MS = 30 * 60_000;

const sameWait = (a: HostWait | null, b: HostWait | null): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Watches a run's data work for a host that no longer takes it, and returns as soon as what a
 * person should see differs from `known`: the workflow owns the answer (it shows it in its own
 * status), the reader needs no second query. Only when work sits untaken does it ask the run for
 * its host, so a healthy day-long compile costs one DescribeWorkflowExecution per poll.
 */
export async function watchDataHost(input: WatchDataHostInput): Promise<WatchDataHostResult> {
  const context = Context.current();
  const client = context.client;
  const handle = client.workflow.getHandle(input.workflowId, input.runId);
  const until = Date.now() + WATCH_MS;
  for (;;) {
    context.heartbeat();
    let wait: HostWait | null = input.known;
    try {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') return { wait: null, ended: true };
      const pending = description.raw.pendingActivities ?? [];
      if (!hasUntakenWork(pending)) wait = null;
      else {
        const status = await client.withDeadline(Date.now() + 5000, () => handle.query<{ host?: unknown }>('status'));
        wait = (await hostWaitOf(status?.host, pending, client)) ?? null;
      }
    } catch (err) {
      // The server or the run's worker did not answer this time: keep showing what was known.
      context.log.debug('data host watch: no answer this time', { workflowId: input.workflowId, error: String(err) });
    }
    if (!sameWait(wait, input.known)) return { wait, ended: false };
    if (Date.now() >= until) return { wait: input.known, ended: false };
    // Rejects once the activity is cancelled (the watched run ended): nothing to clean up.
    await context.sleep(POLL_MS);
  }
}
