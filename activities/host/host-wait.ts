import proto, { type temporal } from '@temporalio/proto';

/** Data work queued on its host's task queue that no worker there has taken, as the server sees it. */
export interface HostWait {
  hostId: string;
  activities: string[];
  /** When the oldest of them became due on the host's queue. */
  since: string;
  /** The latest sign of life from the host: a poll of its queue, or a heartbeat of this run's work. */
  lastSeen: string | null;
  /** When the run gives up on the host (RUNBOOK_HOST_WAIT_MINUTES after `since`). */
  failsAt: string;
}

interface HostView {
  id: string;
  taskQueue: string;
  waitMinutes: number;
  dataWork: { activity: string; since: string }[];
}

type Pending = temporal.api.workflow.v1.IPendingActivityInfo;

/** What the reader needs of a Temporal client: the host queue's pollers (a Client, or the CLI's). */
export interface QueueClient {
  workflowService: { describeTaskQueue(req: temporal.api.workflowservice.v1.IDescribeTaskQueueRequest): Promise<temporal.api.workflowservice.v1.IDescribeTaskQueueResponse> };
  options: { namespace: string };
}
type Timestamp = { seconds?: { toNumber(): number } | number | string | null; nanos?: number | null } | null | undefined;

const toMs = (t: Timestamp): number | undefined => (t?.seconds == null ? undefined : Number(t.seconds.toString()) * 1000 + Math.floor((t.nanos ?? 0) / 1e6));

// A worker polling the host's queue takes due work within milliseconds; this much idle means none is.
const UNTAKEN_AFTER_MS = 5000;

/** Whether any of a run's pending work is due and untaken: only then is its host worth asking about. */
export function hasUntakenWork(pending: Pending[], now = Date.now()): boolean {
  return pending.some((p) => isUntaken(p, now));
}

function isUntaken(p: Pending, now: number): boolean {
  if (p.state !== proto.temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED) return false;
  // A retry in its backoff is not due yet: nobody could have taken it.
  const due = toMs(p.nextAttemptScheduleTime as Timestamp) ?? toMs(p.scheduledTime as Timestamp) ?? now;
  return now - due > UNTAKEN_AFTER_MS;
}

/**
 * A workflow cannot tell its queued data work from its running work (it never sees an activity
 * start), so the reader asks the server: pending work of the host's kind that is due and not
 * started means the host's worker is gone. Undefined when nothing waits for the host. Read by
 * the CLI for any run, and by the release's own watch (activities/host/watch-data-host.ts).
 */
export async function hostWaitOf(host: unknown, pending: Pending[], client: QueueClient): Promise<HostWait | undefined> {
  if (!isHostView(host)) return undefined;
  const hostWork = new Set(host.dataWork.map((w) => w.activity));
  const now = Date.now();
  const untaken = pending.filter((p) => hostWork.has(p.activityType?.name ?? '') && isUntaken(p, now));
  if (untaken.length === 0) return undefined;
  const since = Math.min(...untaken.map((p) => toMs(p.nextAttemptScheduleTime as Timestamp) ?? toMs(p.scheduledTime as Timestamp) ?? now));
  // Only the host's own work says when the host was seen: a health wait beats on any worker.
  const seen = pending
    .filter((p) => hostWork.has(p.activityType?.name ?? ''))
    .map((p) => toMs(p.lastHeartbeatTime as Timestamp) ?? toMs(p.lastStartedTime as Timestamp) ?? 0);
  try {
    const queue = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: host.taskQueue, kind: proto.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    for (const poller of queue.pollers ?? []) seen.push(toMs(poller.lastAccessTime as Timestamp) ?? 0);
  } catch {
    // The heartbeats alone still say when the host was last seen.
  }
  const lastSeen = Math.max(0, ...seen);
  return {
    hostId: host.id,
    activities: [...new Set(untaken.map((p) => p.activityType?.name ?? '?'))],
    since: new Date(since).toISOString(),
    lastSeen: lastSeen > 0 ? new Date(lastSeen).toISOString() : null,
    // The limit is each attempt's ScheduleToStart timeout, counted from when it became due.
    failsAt: new Date(since + host.waitMinutes * 60_000).toISOString(),
  };
}

function isHostView(value: unknown): value is HostView {
  const v = value as Partial<HostView> | null | undefined;
  return typeof v?.id === 'string' && typeof v.taskQueue === 'string' && typeof v.waitMinutes === 'number' && Array.isArray(v.dataWork);
}
