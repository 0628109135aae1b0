import { CancellationScope, isCancellation, log, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities as Acts } from '../activities/index.js';
import type { HostWait } from '../activities/host/host-wait.js';
import { Patches } from './patches.js';
import type { WaitingView } from './release-status.js';

const { watchDataHost } = proxyActivities<Acts>({
  // Each watch returns within 30 minutes; a silent worker is replaced within the heartbeat timeout.
  startToCloseTimeout: '35 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/** A running watch; `stop` ends it (the child ended) and clears what it showed. */
export interface DataHostWatch {
  stop(): void;
}

/**
 * Watches a started child for a data host that stopped taking its work, and tells `onWait` each
 * time that changes (null: the host took the work, or the child ended). The watch is advice: if
 * it fails, the stage goes on and only the wait goes unshown. Runs from before the patch have none.
 */
export function watchDataHostOf(child: { workflowId: string; firstExecutionRunId: string }, onWait: (wait: HostWait | null) => void): DataHostWatch {
  if (!patched(Patches.releaseWatchesDataHost)) return { stop: () => undefined };
  const scope = new CancellationScope();
  let shown: HostWait | null = null;
  const show = (wait: HostWait | null): void => {
    shown = wait;
    onWait(wait);
  };
  scope
    .run(async () => {
      for (;;) {
        const { wait, ended } = await watchDataHost({ workflowId: child.workflowId, runId: child.firstExecutionRunId, known: shown });
        if (JSON.stringify(wait) !== JSON.stringify(shown)) show(wait);
        if (ended) return;
      }
    })
    .catch((err: unknown) => {
      if (!isCancellation(err)) log.warn('the data host watch stopped; a host that goes away will not be shown', { workflowId: child.workflowId, error: String(err) });
    });
  return {
    stop: () => {
      scope.cancel();
      if (shown) show(null);
    },
  };
}

/** "14:02 UTC" (or "never"): how a wait's times read in the status and on the CLI's line. */
export const clock = (iso: string | null): string => (iso ? `${iso.slice(11, 16)} UTC` : 'never');

/** The release's waiting view for a child whose data host is gone: what waits, until when, and what to do. */
export function hostWaitingView(wait: HostWait, child: { workflowType: string; workflowId: string }, releaseId: string): WaitingView {
  const start = `RUNBOOK_HOST_ID=${wait.hostId} npm run worker (with the same RUNBOOK_CONFIG or RUNBOOK_SITES)`;
  return {
    for: 'host',
    workflowType: child.workflowType,
    workflowId: child.workflowId,
    since: wait.since,
    until: wait.failsAt,
    what:
      `host ${wait.hostId} holds this release's data, and no worker there has taken ${wait.activities.join(', ')} since ${clock(wait.since)} ` +
      `(host last seen ${clock(wait.lastSeen)}). The work never runs on another host: the stage fails at ${clock(wait.failsAt)} unless a worker on ${wait.hostId} takes it.`,
    ui: `nothing to click: start the worker on ${wait.hostId} (${start}); this wait clears once it takes the work`,
    cli: `on ${wait.hostId}: ${start}; then watch: npm run status -- ${releaseId} --wait`,
  };
}
