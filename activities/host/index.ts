import { bind } from '../bind.js';
import { hostTaskQueue } from './host-task-queue.js';
import { watchDataHost } from './watch-data-host.js';

/** The host-affinity activities: this worker's host id, and the watch for a host that went away. */
export function createHostActivities(deps: { hostId: string }) {
  return { hostTaskQueue: bind(deps.hostId, hostTaskQueue), watchDataHost };
}
