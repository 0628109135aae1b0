import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, defaultActivityDeps, type ActivityDeps } from '../activities/index.js';
import { hostTaskQueueName, runbookHostId } from './host.js';
import { heldPatches, patchHoldCallback } from './patch-hold.js';
import type { PatchId } from '../workflows/patches.js';
import { withDataConverter } from '../codec/data-converter.js';
import { workflowInterceptorModules, workflowsPath } from './workflow-bundle.js';

export { workflowInterceptorModules, workflowsPath };

export interface CreateWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Activity dependencies; the host id is always this worker's own. */
  deps?: Omit<ActivityDeps, 'hostId'>;
  /** Pre-built bundle (tests bundle once per file; the production worker loads dist/'s); otherwise built from workflowsPath. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** This machine's id; default RUNBOOK_HOST_ID or the hostname. */
  hostId?: string;
  /** Workflow changes to leave inactive (rolling upgrades); default RUNBOOK_HOLD_PATCHES. */
  heldPatches?: readonly PatchId[];
}

/**
 * The runbook's worker on one host: the shared task queue (workflows and AWS-only activities)
 * and the host's own queue (activities that touch this host's site files or docker engine), the
 * worker-specific task queue pattern. Run, shut down and runUntil act on both.
 */
export class RunbookWorker {
  constructor(
    readonly shared: Worker,
    readonly host: Worker,
    readonly hostId: string,
    /** Workflow changes this worker leaves inactive in runs that have not taken them (upgrades). */
    readonly heldPatches: readonly PatchId[] = [],
  ) {}

  get hostTaskQueue(): string {
    return this.host.options.taskQueue;
  }

  async run(): Promise<void> {
    await Promise.all([this.shared.run(), this.host.run()]);
  }

  shutdown(): void {
    for (const worker of [this.shared, this.host]) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    }
  }

  async runUntil<R>(fnOrPromise: Promise<R> | (() => Promise<R>)): Promise<R> {
    return this.shared.runUntil(() => this.host.runUntil(fnOrPromise));
  }
}

/** One place that wires workflows and activities, used by `npm run worker`, the demo and the tests. */
export async function createRunbookWorker(opts: CreateWorkerOptions): Promise<RunbookWorker> {
  const hostId = opts.hostId ?? runbookHostId();
  const activities = createActivities({ ...(opts.deps ?? defaultActivityDeps()), hostId });
  const common = {
    connection: opts.connection,
    namespace: opts.namespace,
    activities,
    // Encrypts every payload when a codec key is configured; the CLI and demo use the same one.
    ...withDataConverter(),
    // Heartbeats must reach the server at least every 20 s, whatever the heartbeat timeout.
    maxHeartbeatThrottleInterval: '20 seconds',
    // Gives running activities time to see the shutdown and detach their processes cleanly.
    shutdownGraceTime: '10 seconds',
  } as const;
  const held = opts.heldPatches ?? heldPatches();
  const shared = await Worker.create({
    ...common,
    taskQueue: opts.taskQueue,
    patchActivationCallback: patchHoldCallback(held),
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath, interceptors: { workflowModules: workflowInterceptorModules } }),
  });
  // Activities only: workflows never run here, only the data work pinned to this host.
  const host = await Worker.create({ ...common, taskQueue: hostTaskQueueName(opts.taskQueue, hostId) });
  return new RunbookWorker(shared, host, hostId, held);
}
