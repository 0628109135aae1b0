import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import { scheduleIdFor, type ScheduleKind } from './schedule-kinds.js';

/**
 * Creates the site's schedule of a kind, or updates it in place when it exists (its id is fixed).
 * The input names the site, never a path: the worker that runs it finds the config on its machine.
 */
export async function upsertSchedule(
  client: Client,
  taskQueue: string,
  kind: ScheduleKind,
  site: string,
  spec: ScheduleSpec,
  input: Record<string, unknown>,
): Promise<'created' | 'updated'> {
  const scheduleId = scheduleIdFor(kind, site);
  const options: ScheduleOptions = {
    scheduleId,
    spec,
    action: {
      type: 'startWorkflow',
      workflowType: kind.workflowType,
      taskQueue,
      // Temporal appends the scheduled time, so every run has its own id.
      workflowId: scheduleId,
      args: [{ ...input, site }],
    },
    // A run still going when the next is due: skip the next, never pile up.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '5 minutes' },
    memo: { createdBy: 'release-runbook', site, description: kind.description },
  };
  try {
    await client.schedule.create(options);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(scheduleId)
      .update((previous) => ({ ...previous, spec, action: options.action, policies: { ...previous.policies, overlap: ScheduleOverlapPolicy.SKIP } }));
    return 'updated';
  }
}
