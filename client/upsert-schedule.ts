import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import type { ScheduleKind } from './schedule-kinds.js';

/** Creates the kind's schedule, or updates it in place when it exists (its id is fixed). */
export async function upsertSchedule(
  client: Client,
  taskQueue: string,
  kind: ScheduleKind,
  spec: ScheduleSpec,
  input: Record<string, unknown>,
): Promise<'created' | 'updated'> {
  const options: ScheduleOptions = {
    scheduleId: kind.scheduleId,
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: kind.workflowType,
      taskQueue,
      // Temporal appends the scheduled time, so every run has its own id.
      workflowId: kind.scheduleId,
      args: [input],
    },
    // A run still going when the next is due: skip the next, never pile up.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '5 minutes' },
    memo: { createdBy: 'release-runbook', description: kind.description },
  };
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(kind.scheduleId)
      .update((previous) => ({ ...previous, spec, action: options.action, policies: { ...previous.policies, overlap: ScheduleOverlapPolicy.SKIP } }));
    return 'updated';
  }
}
