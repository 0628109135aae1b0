import { activityInfo } from '@temporalio/activity';
import { hostTaskQueueName, hostWaitMinutes } from '../../worker/host.js';

/** Where a run's data work goes: the host whose worker answered, and that host's own queue. */
export interface HostPin {
  hostId: string;
  taskQueue: string;
  /** How long data work waits for this host's worker before the run fails naming it. */
  waitMinutes: number;
}

/**
 * Answered by whichever worker polls the shared queue first: that host becomes the run's (and
 * its children's) data host. Its id is the one that worker polls its host queue under; the wait
 * limit comes from that worker's environment.
 */
export function hostTaskQueue(hostId: string, _input: void): Promise<HostPin> {
  return Promise.resolve({ hostId, taskQueue: hostTaskQueueName(activityInfo().taskQueue, hostId), waitMinutes: hostWaitMinutes() });
}
