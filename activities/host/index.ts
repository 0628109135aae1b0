import { bind } from '../bind.js';
import { hostTaskQueue } from './host-task-queue.js';

/** The host-affinity activity, answering with this worker's host id. */
export function createHostActivities(deps: { hostId: string }) {
  return { hostTaskQueue: bind(deps.hostId, hostTaskQueue) };
}
