import { activityInfo, getClient, log } from '@temporalio/activity';
import type { ProcessHeartbeat } from '../process/tracked-process.js';

export interface StepProgress {
  step: string;
  done: number | null;
  total: number | null;
  lastLine: string | null;
  pid: number;
  startedAt: string;
}

/**
 * Sends progress to the workflow as a signal so its `status` query can show it. The interval
 * grows with the step's age (2 s at first, 1/50 of the elapsed time later) so a two-day step adds
 * a few hundred history events, not tens of thousands.
 */
export function progressReporter(signalName: string | undefined, step: string): (beat: ProcessHeartbeat) => Promise<void> {
  if (!signalName) return async () => {};
  const execution = activityInfo().workflowExecution;
  if (!execution) return async () => {};
  const began = Date.now();
  let lastSent = 0;
  let lastKey = '';
  return async (beat) => {
    const now = Date.now();
    const key = `${beat.done}/${beat.total}/${beat.lastLine}`;
    if (key === lastKey || now - lastSent < Math.max(2000, (now - began) / 50)) return;
    lastSent = now;
    lastKey = key;
    const payload: StepProgress = {
      step,
      done: beat.done,
      total: beat.total,
      lastLine: beat.lastLine,
      pid: beat.pid,
      startedAt: beat.startedAt,
    };
    try {
      await getClient().workflow.getHandle(execution.workflowId, execution.runId).signal(signalName, payload);
    } catch (err) {
      // Progress is a courtesy; the step's outcome never depends on it.
      log.debug('progress signal not delivered', { error: String(err) });
    }
  };
}
