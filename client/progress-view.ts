import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';

/** The fields every workflow's `status` query has, plus whatever else it reports. */
export interface StatusView {
  stage: string;
  step: string | null;
  done: number | null;
  total: number | null;
  elapsedMs: number;
  lastLine: string | null;
  nextAction?: string;
  [key: string]: unknown;
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
type StatusClient = { withDeadline<R>(d: number | Date, fn: () => Promise<R>): Promise<R>; workflow: { getHandle(id: string): WorkflowHandle } };

export async function readStatus(handle: WorkflowHandle, client: StatusClient): Promise<StatusView | undefined> {
  const status = await readOwnStatus(handle, client);
  if (status?.workflow === 'release' && typeof status.step === 'string') await mergeChildStatus(status, status.step, handle.workflowId, client);
  return status;
}

/**
 * A release shows its running child's progress, and the deploy child's approval as its own:
 * a person approves the release they started, which forwards the signal.
 */
async function mergeChildStatus(status: StatusView, childId: string, releaseId: string, client: StatusClient): Promise<void> {
  const child = await readOwnStatus(client.workflow.getHandle(childId), client);
  if (!child) return;
  status.child = { workflowId: childId, stage: child.stage, step: child.step, done: child.done, total: child.total };
  status.lastLine = child.lastLine ?? status.lastLine;
  const approval = child.approval as { waiting?: boolean; how?: Record<string, unknown> } | undefined;
  // Releases that report their gate themselves (status.approval set) need no merge.
  if (approval && typeof approval === 'object' && !status.approval) {
    status.approval = {
      ...approval,
      how: {
        ...approval.how,
        cli: `npm run approve -- ${releaseId}`,
        rejectCli: `npm run reject -- ${releaseId} --reason "..."`,
      },
    };
    if (approval.waiting) status.nextAction = `approve with: npm run approve -- ${releaseId}  (or reject: npm run reject -- ${releaseId} --reason "...")`;
  }
}

async function readOwnStatus(handle: WorkflowHandle, client: StatusClient): Promise<StatusView | undefined> {
  let status: StatusView | undefined;
  try {
    status = await client.withDeadline(Date.now() + 5000, () => handle.query<StatusView>('status'));
  } catch {
    return undefined; // No worker to answer (a closed run, or the worker is down).
  }
  try {
    const description = await handle.describe();
    // A query sees the workflow's clock as of its last task, which stands still while a child
    // or a long activity runs: the wall clock is what a person means by "elapsed".
    if (description.status.name === 'RUNNING' && typeof status.startedAt === 'string') {
      status.elapsedMs = Math.max(status.elapsedMs, Date.now() - Date.parse(status.startedAt));
    }
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
  } catch {
    // The query alone is still a useful answer.
  }
  return status;
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

/** One line a person can read at a glance: stage, step, progress, time, last output. */
export function formatStatusLine(status: StatusView, withBar: boolean): string {
  // A release reads best as "stage › what its child is doing".
  const child = status.child as { stage: string; step: string | null; done: number | null; total: number | null } | undefined;
  const shown = child ? { stage: `${status.stage} › ${child.stage}`, step: child.step, done: child.done, total: child.total } : status;
  const parts = [shown.stage];
  if (shown.step) parts.push(`step ${shown.step}`);
  if (shown.done !== null && shown.total !== null) {
    parts.push(withBar ? `${bar(shown.done, shown.total)} ${shown.done}/${shown.total}` : `${shown.done}/${shown.total}`);
  }
  parts.push(formatDuration(status.elapsedMs));
  if (status.lastLine) parts.push(`| ${status.lastLine}`);
  return parts.join('  ');
}
