import {
  ApplicationFailure,
  defaultPayloadConverter,
  patched,
  proxyActivities,
  TimeoutFailure,
  upsertMemo,
  workflowInfo,
  type ActivityInput,
  type Next,
  type QueryInput,
  type StartChildWorkflowExecutionInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { TimeoutType } from '@temporalio/common';
import type { Activities as Acts } from '../activities/index.js';
import type { HostPin } from '../activities/host/host-task-queue.js';
import { Patches, type PatchId } from './patches.js';

/**
 * These read the local tree and the state dir's records too: on a stale host the unchanged check
 * would call new data "unchanged", and the S3 sync would upload that host's old tree. They go to
 * the data host only in runs that took Patches.hostAffinityLocalReads; older runs scheduled them
 * on the shared queue and replay that way.
 */
const boundSinceLocalReads = new Set<string>(['checkLocalTreeUnchanged', 'checkS3Target', 'syncS3Prefix', 'verifyS3Prefix']);

/**
 * Host affinity as a workflow interceptor, so no workflow has to remember it: every activity
 * that reads or writes the site's files or uses the local docker engine goes to the task queue
 * of the one host that holds the run's data, chosen once (by the first worker to answer) and
 * passed to child workflows in a header. AWS-only work (teardown, health waits, rollback, the
 * janitor) stays on the shared queue, so a dead host never keeps a billed server alive.
 */
export const hostBoundActivities = new Set<string>([
  'loadSiteConfig',
  'prepareOutputDir',
  'commitOutputDir',
  'restorePreviousOutput',
  'recordFiguresInManifest',
  'runCompileStep',
  'validateCompiledData',
  'runFigureScript',
  'checkSyncPrerequisites',
  'planDryRun',
  'syncDirectory',
  'verifyRemoteTree',
  'checkDeployTarget',
  'buildImage',
  'pushImage',
  'uploadSourceBundle',
  // Its sent records live in the site's state dir: a retry must read the same disk.
  'sendNotification',
  ...boundSinceLocalReads,
]);

/**
 * Every other activity, named so that a new one must be placed in one set or the other
 * (test/host-affinity-sets.test.ts): AWS-only or state-free work any worker can do.
 */
export const hostFreeActivities = new Set<string>([
  'hostTaskQueue',
  // Asks the server about another run's work; it must run when the data host is the one gone.
  'watchDataHost',
  'claimSiteForRelease',
  'refuseSecondRelease',
  'searchAttributesRegistered',
  'inspectRunbookServers',
  'provisionSftpServer',
  'waitForServerOnline',
  'createSftpUser',
  'teardownSftpServer',
  'restartAppServer',
  'resolvePushedImage',
  'createApplicationVersion',
  'createEnvironment',
  'updateEnvironment',
  'abortEnvironmentUpdate',
  'waitForHealthyEnvironment',
  'smokeCheck',
  'pruneReleaseArtifacts',
  'discardSourceBundle',
  'checkWebsiteTarget',
  'smokeCheckWebsite',
  // Only for a message saying the data host is gone: sent from there it would never go out.
  'sendNotificationFromAnyHost',
]);

/** Whether this activity goes to the data host; the patch is asked only when a late addition is scheduled. */
function isHostBound(activityType: string): boolean {
  if (!hostBoundActivities.has(activityType)) return false;
  return !boundSinceLocalReads.has(activityType) || patched(Patches.hostAffinityLocalReads);
}

/**
 * The workflows that pin their host-bound work, each from the patch that started it (runs from
 * before it replay unpinned); the site lock runs anywhere. The janitor has no data, but its
 * notifications' sent records live on the disk of the host that sent them: a retry on another host
 * would post again. It pins at its first host-bound activity (loading the site's config).
 */
const pinnedSince: Record<string, PatchId> = {
  releaseWorkflow: Patches.hostAffinity,
  compileWorkflow: Patches.hostAffinity,
  syncDataWorkflow: Patches.hostAffinity,
  deployWorkflow: Patches.hostAffinity,
  websiteWorkflow: Patches.hostAffinity,
  sftpJanitorWorkflow: Patches.janitorNotifyOnOneHost,
};

export const HOST_HEADER = 'runbook-host';

const { hostTaskQueue } = proxyActivities<Acts>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

interface HostState {
  enabled: boolean;
  pin?: HostPin;
  pinning?: Promise<HostPin>;
  /** Data work sent to the host and not yet answered: what the status shows while it waits. */
  outstanding: Map<number, { activity: string; since: string }>;
  nextId: number;
  /** When the host last answered a piece of this run's data work (workflow time). */
  lastAnsweredAt: string | null;
}

function pinHost(state: HostState): Promise<HostPin> {
  state.pinning ??= (async () => {
    const pin = await hostTaskQueue();
    state.pin = pin;
    upsertMemo({ host: pin.hostId });
    return pin;
  })();
  return state.pinning;
}

function isScheduleToStartTimeout(err: unknown): boolean {
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    if (current instanceof TimeoutFailure && current.timeoutType === TimeoutType.SCHEDULE_TO_START) return true;
  }
  return false;
}

class HostOutbound implements WorkflowOutboundCallsInterceptor {
  constructor(private readonly state: HostState) {}

  async scheduleActivity(input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>): Promise<unknown> {
    if (!this.state.enabled || !isHostBound(input.activityType)) return next(input);
    const pin = this.state.pin ?? (await pinHost(this.state));
    const id = this.state.nextId++;
    this.state.outstanding.set(id, { activity: input.activityType, since: new Date().toISOString() });
    try {
      const result = await next({ ...input, options: { ...input.options, taskQueue: pin.taskQueue, scheduleToStartTimeout: `${pin.waitMinutes} minutes` } });
      this.state.lastAnsweredAt = new Date().toISOString();
      return result;
    } catch (err) {
      if (!isScheduleToStartTimeout(err)) {
        this.state.lastAnsweredAt = new Date().toISOString();
        throw err;
      }
      throw ApplicationFailure.create({
        type: 'HostUnavailable',
        nonRetryable: true,
        message:
          `Host ${pin.hostId} holds this run's data, and no worker there picked up ${input.activityType} within ${pin.waitMinutes} minutes: ` +
          `start the worker on ${pin.hostId} (RUNBOOK_HOST_ID=${pin.hostId}) and start the run again; its data work never runs on another host.`,
        details: [{ hostId: pin.hostId, taskQueue: pin.taskQueue }],
        cause: err instanceof Error ? err : undefined,
      });
    } finally {
      this.state.outstanding.delete(id);
    }
  }

  startChildWorkflowExecution(
    input: StartChildWorkflowExecutionInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
  ): Promise<[Promise<string>, Promise<unknown>]> {
    if (!this.state.enabled || !this.state.pin) return next(input);
    return next({ ...input, headers: { ...input.headers, [HOST_HEADER]: defaultPayloadConverter.toPayload(this.state.pin) } });
  }
}

class HostInbound implements WorkflowInboundCallsInterceptor {
  constructor(private readonly state: HostState) {}

  execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const patch = pinnedSince[workflowInfo().workflowType];
    this.state.enabled = patch !== undefined && patched(patch);
    const header = input.headers[HOST_HEADER];
    if (this.state.enabled && header) {
      this.state.pin = defaultPayloadConverter.fromPayload<HostPin>(header);
      this.state.pinning = Promise.resolve(this.state.pin);
    }
    return next(input);
  }

  async handleQuery(input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>): Promise<unknown> {
    const result = await next(input);
    if (input.queryName !== 'status' || !result || typeof result !== 'object') return result;
    // Every status names the host that holds the run's data (null until one is chosen), what data
    // work is out on it, and when it last answered: if its worker is down, that work waits for
    // it (waitMinutes at most per piece) and never runs elsewhere.
    const pin = this.state.pin;
    return {
      ...result,
      host: pin
        ? {
            id: pin.hostId,
            taskQueue: pin.taskQueue,
            waitMinutes: pin.waitMinutes,
            lastAnsweredAt: this.state.lastAnsweredAt,
            dataWork: [...this.state.outstanding.values()],
          }
        : null,
    };
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => {
  const state: HostState = { enabled: false, outstanding: new Map(), nextId: 0, lastAnsweredAt: null };
  return { inbound: [new HostInbound(state)], outbound: [new HostOutbound(state)] };
};
