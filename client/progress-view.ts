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
export async function readStatus(handle: WorkflowHandle, client: { withDeadline<R>(d: number | Date, fn: () => Promise<R>): Promise<R> }): Promise<StatusView | undefined> {
  let status: StatusView | undefined;
  try {
    status = await client.withDeadline(Date.now() + 5000, () => handle.query<StatusView>('status'));
  } catch {
    return undefined; // No worker to answer (a closed run, or the worker is down).
  }
  try {
    const description = await handle.describe();
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
  const parts = [status.stage];
  if (status.step) parts.push(`step ${status.step}`);
  if (status.done !== null && status.total !== null) {
    parts.push(withBar ? `${bar(status.done, status.total)} ${status.done}/${status.total}` : `${status.done}/${status.total}`);
  }
  parts.push(formatDuration(status.elapsedMs));
  if (status.lastLine) parts.push(`| ${status.lastLine}`);
  return parts.join('  ');
}
