import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { withDataConverter } from '../codec/data-converter.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps?: ActivityDeps;
  /** Pre-built bundle (tests bundle once per file); otherwise built from workflowsPath. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** One place that wires workflows and activities, used by `npm run worker` and the tests. */
export function createRunbookWorker(opts: CreateWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath }),
    activities: createActivities(opts.deps),
    // Encrypts every payload when a codec key is configured; the CLI and demo use the same one.
    ...withDataConverter(),
    // Heartbeats must reach the server at least every 20 s, whatever the heartbeat timeout.
    maxHeartbeatThrottleInterval: '20 seconds',
    // Gives running activities time to see the shutdown and detach their processes cleanly.
    shutdownGraceTime: '10 seconds',
  });
}
