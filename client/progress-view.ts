import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { hostWaitOf, type HostWait } from '../activities/host/host-wait.js';
import { clock } from '../workflows/host-wait-watch.js';

/** The fields every workflow's `status` query has, plus whatever else it reports. */
export interface StatusView {
  stage: string;
  step: string | null;
  done: number | null;
  total: number | null;
  /** Computed by the reader from startedAt/endedAt: true when read. */
  elapsedMs: number;
  lastLine: string | null;
  nextAction?: string;
  /** A release's running compile or sync child, as readStatus merges it in. */
  child?: ChildProgress;
  [key: string]: unknown;
}

export interface ChildProgress {
  workflowId: string;
  stage: string;
  step: string | null;
  done: number | null;
  total: number | null;
  lastLine: string | null;
}

interface HeartbeatProgress {
  done?: number | null;
  total?: number | null;
  lastLine?: string | null;
}

/**
 * The workflow's own `status` query, refreshed with the running activity's last heartbeat,
 * which is newer than the throttled progress signals the workflow receives.
 */
export type StatusClient = {
  withDeadline<R>(d: number | Date, fn: () => Promise<R>): Promise<R>;
  workflow: { getHandle(id: string): WorkflowHandle };
  workflowService: { describeTaskQueue(req: temporal.api.workflowservice.v1.IDescribeTaskQueueRequest): Promise<temporal.api.workflowservice.v1.IDescribeTaskQueueResponse> };
  options: { namespace: string };
};

export async function readStatus(handle: WorkflowHandle, client: StatusClient): Promise<StatusView | undefined> {
  const status = await readOwnStatus(handle, client);
  // A release carries its deploy's gate itself; its running compile or sync child keeps its
  // progress in its own status (forwarding every progress line would swell the release's
  // history), so the line shows that child's progress beside the release's, under its id.
  if (status?.workflow === 'release' && typeof status.step === 'string') {
    const child = await readOwnStatus(client.workflow.getHandle(status.step), client);
    if (child) status.child = { workflowId: status.step, stage: child.stage, step: child.step, done: child.done, total: child.total, lastLine: child.lastLine };
    // The release's data work is its child's: a child waiting for its host is the release waiting.
    if (child?.hostWait) status.hostWait = child.hostWait;
  }
  return status;
}

async function readOwnStatus(handle: WorkflowHandle, client: StatusClient): Promise<StatusView | undefined> {
  let status: StatusView | undefined;
  try {
    status = await client.withDeadline(Date.now() + 5000, () => handle.query<StatusView>('status'));
  } catch {
    return undefined; // No worker to answer (a closed run, or the worker is down).
  }
  let running = false;
  try {
    const description = await handle.describe();
    running = description.status.name === 'RUNNING';
    for (const pending of description.raw.pendingActivities ?? []) {
      const payload = pending.heartbeatDetails?.payloads?.[0];
      if (!payload) continue;
      const beat = defaultPayloadConverter.fromPayload<HeartbeatProgress>(payload);
      if (beat && typeof beat === 'object' && 'lastLine' in beat) {
        if (typeof beat.done === 'number') status.done = beat.done;
        if (typeof beat.total === 'number') status.total = beat.total;
        if (beat.lastLine) status.lastLine = beat.lastLine;
      }
    }
    const hostWait = running ? await hostWaitOf(status.host, description.raw.pendingActivities ?? [], client) : undefined;
    if (hostWait) status.hostWait = hostWait;
  } catch {
    // The query alone is still a useful answer.
  }
  status.elapsedMs = elapsedOf(status, running);
  return status;
}

/**
 * Elapsed time as the reader's clock sees it: a workflow's clock stands still between its
 * events (a release's for hours while a child runs), so statuses carry timestamps.
 */
function elapsedOf(status: StatusView, running: boolean): number {
  const started = typeof status.startedAt === 'string' ? Date.parse(status.startedAt) : Number.NaN;
  if (!Number.isNaN(started)) {
    if (typeof status.endedAt === 'string') return Date.parse(status.endedAt) - started;
    if (running) return Date.now() - started;
  }
  return typeof status.elapsedMs === 'number' ? status.elapsedMs : 0;
}

export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h}h` : ''}${String(m).padStart(h > 0 ? 2 : 1, '0')}m${String(s % 60).padStart(2, '0')}s`;
}

function bar(done: number, total: number, width = 24): string {
  const filled = Math.round((Math.min(done, total) / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/** "waiting for host lab-2, last seen 14:02 UTC": what the run's data work waits for, and until when. */
export function describeHostWait(wait: HostWait): string {
  return `waiting for host ${wait.hostId}, last seen ${clock(wait.lastSeen)} (${wait.activities.join(', ')} queued there since ${clock(wait.since)}; fails at ${clock(wait.failsAt)} unless a worker with RUNBOOK_HOST_ID=${wait.hostId} takes it)`;
}

/** One line a person can read at a glance: stage, step, progress, time, last output. */
export function formatStatusLine(status: StatusView, withBar: boolean): string {
  // A release reads best as "stage › what its child is doing".
  const { child } = status;
  const shown = child ? { stage: `${status.stage} › ${child.stage}`, step: child.step, done: child.done, total: child.total } : status;
  const parts = [shown.stage];
  if (shown.step) parts.push(`step ${shown.step}`);
  if (typeof shown.done === 'number' && typeof shown.total === 'number') {
    parts.push(withBar ? `${bar(shown.done, shown.total)} ${shown.done}/${shown.total}` : `${shown.done}/${shown.total}`);
  }
  parts.push(formatDuration(status.elapsedMs));
  const hostWait = status.hostWait as HostWait | undefined;
  if (hostWait) parts.push(`| ${describeHostWait(hostWait)}`);
  const lastLine = child?.lastLine ?? status.lastLine;
  if (lastLine) parts.push(`| ${lastLine}`);
  return parts.join('  ');
}
