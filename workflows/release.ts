import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities as Acts } from '../activities/index.js';
import { compileWorkflow, type CompileResult } from './compile.js';
import { deployWorkflow, type DeployResult } from './deploy.js';
import { deploySite } from './deploy-run.js';
import { quickActivities } from './deploy-options.js';
import {
  approvalHow,
  approvalSteps,
  approveDeploySignal,
  decideDeployUpdate,
  decisionRefusal,
  deployReportSignal,
  rejectDeploySignal,
  type ApprovalView,
  type ApproveDeploy,
  type DeployDecisionResult,
  type DeployReport,
  type RejectDeploy,
} from './deploy-status.js';
import { parseInput } from './inputs.js';
import { createNotifier, type NotificationsView, type Notifier } from './notifier.js';
import { approvalNotifications, releaseFinished } from './release-notifications.js';
import { defaultReleaseStages, releaseInputSchema, websiteReleaseStages, type ReleaseInput, type ReleaseStage } from './release-input.js';
import { websiteWorkflow, type WebsiteResult } from './website.js';
import { releaseStatusQuery, type ReleaseStatus, type StageView } from './release-status.js';
import { runbookSiteKey, runbookStageKey } from './search-attributes.js';
import { releaseSiteLockSignal, siteLockId, siteLockWorkflow } from './site-lock.js';
import { syncDataWorkflow, type SyncResult } from './sync.js';
import { Patches } from './patches.js';
import { deploysAppBundle, missingSection } from '../config/stage-sections.js';
import { failureOfType, stageFailureMessage } from './failure-message.js';
import { hostWaitingView, watchDataHostOf, type DataHostWatch } from './host-wait-watch.js';
import type { HostWait } from '../activities/host/host-wait.js';

const quickActivity = {
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 5 },
} as const;

const { loadSiteConfig, claimSiteForRelease, refuseSecondRelease, searchAttributesRegistered, checkWebsiteTarget } = proxyActivities<Acts>(quickActivity);
const { checkDeployTarget } = quickActivities;

/** A deploy (not a restart) after stages that take time: its target is worth checking first. */
function deployComesLater(selected: ReleaseStage[], dryRun: boolean): boolean {
  return !dryRun && selected.includes('deploy') && selected.some((s) => s === 'compile' || s === 'figures' || s === 'sync');
}

/** Children are cancelled (never terminated) with the release, and the release waits for their teardown. */
const childDefaults = {
  parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
  cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;

export interface ReleaseResult {
  site: string;
  workflowId: string;
  dryRun: boolean;
  stages: { stage: ReleaseStage; workflowId: string | null; result: 'ok' | 'skipped'; durationMs: number; summary: string }[];
  compile: CompileResult | null;
  sync: SyncResult | null;
  deploy: DeployResult | null;
  /** Only for a release with the "website" stage. */
  website?: WebsiteResult | null;
  durationMs: number;
  /** Only for a config with a `notify` section. */
  notifications?: NotificationsView;
}

const childWorkflowType = { compile: 'compileWorkflow', sync: 'syncDataWorkflow', deploy: 'deployWorkflow', website: 'websiteWorkflow' } as const;

/** The child workflow a stage runs in; the image goes with the website's stage when no deploy runs it. */
function groupOf(stage: ReleaseStage, selected: readonly ReleaseStage[]): keyof typeof childWorkflowType {
  if (stage === 'compile' || stage === 'figures') return 'compile';
  if (stage === 'sync') return 'sync';
  if (stage === 'website' || (stage === 'image' && selected.includes('website') && !selected.includes('deploy'))) return 'website';
  return 'deploy';
}

/** Where a person follows a child's progress, in the UI and with the CLI alike. */
function progressHow(childId: string, releaseId: string): { ui: string; cli: string; sentence: string } {
  const ui = `open workflow ${childId}, Queries tab, query "status" (Pending Activities shows the running step's heartbeat)`;
  const cli = `npm run status -- ${releaseId} --wait`;
  return { ui, cli, sentence: `Progress in the Temporal UI: ${ui}; with the CLI: ${cli}.` };
}

/** What a person does after the release ended badly, named for the cause rather than in general. */
function nextActionAfter(err: unknown, status: ReleaseStatus): string {
  if (isCancellation(err)) return 'none: the release was cancelled';
  const again = 'start a new release: in the Temporal UI, Start Workflow "releaseWorkflow" on the task queue this one ran on with the same input; with the CLI: npm run start-workflow -- release';
  const host = failureOfType(err, 'HostUnavailable');
  if (host) {
    const hostId = (host.details?.[0] as { hostId?: string } | undefined)?.hostId ?? 'the host named in the error';
    return `host unreachable: no worker on ${hostId}, which holds this release's data, took its work in time. Start the worker there (RUNBOOK_HOST_ID=${hostId} npm run worker, with the same RUNBOOK_CONFIG), then ${again}. Its data work never runs on another host.`;
  }
  if (status.deployStage === 'approval-timed-out') {
    return `approval timed out: nobody approved the deploy before ${status.approval?.deadline ?? 'its deadline'}, so nothing was deployed. To try again, ${again}.`;
  }
  if (status.deployStage === 'rejected') return `none: the deploy was rejected by ${status.approval?.by ?? 'someone'}, nothing was deployed. To try again, ${again}.`;
  if (failureOfType(err, 'RollbackFailed')) return status.deploy?.nextAction ?? 'act now: the rollback failed; see the error';
  if (status.deployStage === 'rolled-back') return `the deploy was rolled back and the environment is healthy on its previous version: fix the cause named in the error, then ${again}.`;
  return `fix the cause named in the error, then ${again}.`;
}

/** What the host watch needs of a started child. */
type StartedChild = Pick<ChildWorkflowHandle<typeof compileWorkflow>, 'workflowId' | 'firstExecutionRunId'>;

/** One child workflow run by the release: which stages it covers and how to start it. */
interface Group {
  name: keyof typeof childWorkflowType;
  stages: ReleaseStage[];
}

/**
 * The whole release as a person starts it from the UI with `{}`: compile and figures, data sync,
 * image and deploy behind the approval gate (or a restart for data-only releases), each stage a
 * child workflow whose id derives from the release's, stopping at the first failure.
 */
export async function releaseWorkflow(rawInput: ReleaseInput = {}): Promise<ReleaseResult> {
  const input = parseInput(releaseInputSchema, rawInput, 'releaseWorkflow');
  const { workflowId, namespace } = workflowInfo();
  const startedAt = Date.now();
  let selected = input.stages ?? defaultReleaseStages;
  // Each stage names its child from the start, so a person can find it before it runs.
  const viewsOf = (stages: readonly ReleaseStage[]): StageView[] => stages.map((stage) => {
    const runs = !input.dryRun || groupOf(stage, stages) === 'sync';
    return {
      stage,
      state: 'pending',
      workflowType: runs ? childWorkflowType[groupOf(stage, stages)] : null,
      workflowId: runs ? `${workflowId}-${groupOf(stage, stages)}` : null,
      startedAt: null,
      endedAt: null,
      durationMs: null,
      summary: null,
    };
  });
  const stageViews: StageView[] = viewsOf(selected);
  const status: ReleaseStatus = {
    workflow: 'release',
    workflowType: 'releaseWorkflow',
    workflowId,
    site: input.site ?? null,
    stage: 'starting',
    // What a person acts on comes first: the UI's Queries tab shows the top of the answer.
    waiting: null,
    nextAction: 'wait: loading the site config',
    error: null,
    step: null,
    done: 0,
    total: selected.length,
    lastLine: null,
    startedAt: new Date(startedAt).toISOString(),
    endedAt: null,
    stages: stageViews,
    pendingDecision: null,
    approval: null,
    deployStage: null,
    deploy: null,
    ignoredDecision: null,
  };
  let notifier: Notifier | undefined = undefined;
  let onDeployReport: ((report: DeployReport) => void) | undefined;
  // No elapsed figure: workflow time stands still while a child runs, timestamps stay true.
  setHandler(releaseStatusQuery, () => (notifier ? { ...status, notifications: notifier.view() } : status));

  // Releases started before the site lock and the gate report keep their old behaviour on replay.
  const gateAtChild = patched(Patches.siteLockAndGate);
  const hasGate = selected.includes('deploy') && !input.autoApprove && !input.dryRun;
  const limits: GateLimits = { rollbackMinutes: null };
  const decisions = gateAtChild ? gateDecisions(status, hasGate, limits, (report) => onDeployReport?.(report)) : heldDecisions(status);
  const onDeployStarted = (handle: ChildWorkflowHandle<typeof deployWorkflow>): Promise<void> => decisions.childStarted(handle);

  const view = (stage: ReleaseStage): StageView | undefined => stageViews.find((s) => s.stage === stage);
  const mark = (stages: ReleaseStage[], patch: Partial<StageView>): void => {
    for (const stage of stages) Object.assign(view(stage) ?? {}, patch);
  };

  const config = await loadSiteConfig({ configPath: input.configPath, site: input.site });
  // `{}` for a static website without Beanstalk is that site's whole release, not a deploy it has no environment for.
  if (!input.stages && !config.beanstalk && config.website && patched(Patches.websiteRelease)) {
    selected = websiteReleaseStages(config);
    stageViews.splice(0, stageViews.length, ...viewsOf(selected));
    status.total = selected.length;
  }
  // A Python (any non-Docker) app deploys as its own files: its image stage is skipped, not failed.
  const appBundle = selected.includes('deploy') && deploysAppBundle(config) && patched(Patches.appSourceBundle);
  // Before a day of compiling: a section a later stage needs must exist now.
  requireSections(config, selected, input.dryRun ?? false, appBundle);
  // The bucket, its region and its website hosting are checked before the pipeline runs: nothing compiled, nothing uploaded.
  if (selected.includes('website')) await checkWebsiteTarget({ config });
  // So are the deploy's bundle, registry and environment when other stages come first: a missing
  // application.py or a mistyped environment fails now, not after a day of compiling. The deploy
  // checks again when it starts (the world may change meanwhile).
  if (deployComesLater(selected, input.dryRun ?? false) && patched(Patches.deployCheckedFirst)) {
    await checkDeployTarget({ site: deploySite(config, false), restartOnly: false, skipBuild: !selected.includes('image') });
  }
  const site = config.site;
  status.site = site;
  limits.rollbackMinutes = config.beanstalk?.timeoutMinutes ?? null;
  upsertMemo({ site, stages: selected });
  const lock = gateAtChild ? await lockSite(site) : undefined;
  const claim = gateAtChild ? { searchAttributes: await searchAttributesRegistered() } : await claimSiteForRelease({ site });
  notifier = createNotifier(config, Patches.releaseNotifications);
  if (notifier) {
    onDeployReport = approvalNotifications(notifier, { site, workflowId, reminderHours: config.notify?.approvalReminderHours ?? 24 }, () => status.approval?.waiting === true);
    notifier.emit('release-started', {
      kind: 'release-started',
      site,
      workflowId,
      by: input.requestedBy ?? 'someone (the input has no "requestedBy")',
      stages: selected,
      dryRun: input.dryRun ?? false,
    });
  }
  const setStage = (stage: string): void => {
    status.stage = stage;
    if (claim.searchAttributes) upsertSearchAttributes([{ key: runbookSiteKey, value: site }, { key: runbookStageKey, value: stage }]);
  };

  // A child whose data host stopped taking its work makes the release wait too: shown as its own.
  let nextActionBeforeHostWait: string | null = null;
  const showHostWait = (wait: HostWait | null, group: Group, childId: string): void => {
    if (wait) {
      // A person's decision or a rollback in progress is what the reader must see first.
      if (status.waiting && status.waiting.for !== 'host') return;
      if (!status.waiting) nextActionBeforeHostWait = status.nextAction;
      status.waiting = hostWaitingView(wait, { workflowType: childWorkflowType[group.name], workflowId: childId }, workflowId);
      status.nextAction = `act: ${status.waiting.what} To move it on: ${status.waiting.ui.replace(/^nothing to click: /, '')}.`;
      mark(group.stages, { state: 'waiting' });
      return;
    }
    if (status.waiting?.for !== 'host') return;
    status.waiting = null;
    if (nextActionBeforeHostWait !== null) status.nextAction = nextActionBeforeHostWait;
    nextActionBeforeHostWait = null;
    for (const stage of group.stages) if (view(stage)?.state === 'waiting') mark([stage], { state: 'running' });
  };

  const groups: Group[] = [];
  const compileStages = selected.filter((s) => s === 'compile' || s === 'figures');
  if (compileStages.length) groups.push({ name: 'compile', stages: compileStages });
  if (selected.includes('sync')) groups.push({ name: 'sync', stages: ['sync'] });
  const deployStages = selected.filter((s) => groupOf(s, selected) === 'deploy');
  if (deployStages.length) groups.push({ name: 'deploy', stages: deployStages });
  const websiteStages = selected.filter((s) => groupOf(s, selected) === 'website');
  if (websiteStages.length) groups.push({ name: 'website', stages: websiteStages });

  const result: ReleaseResult = { site, workflowId, dryRun: input.dryRun ?? false, stages: [], compile: null, sync: null, deploy: null, durationMs: 0 };
  const common = { site, ...(input.configPath ? { configPath: input.configPath } : {}) };

  try {
    for (const group of groups) {
      const childId = `${workflowId}-${group.name}`;
      if (input.dryRun && group.name !== 'sync') {
        // A dry run neither spends a day compiling nor touches the environment: it plans the sync.
        mark(group.stages, { state: 'skipped', summary: 'dry run' });
        for (const stage of group.stages) result.stages.push({ stage, workflowId: null, result: 'skipped', durationMs: 0, summary: 'dry run' });
        status.done += group.stages.length;
        continue;
      }
      if (group.name === 'deploy' && appBundle && group.stages.includes('image')) {
        const summary = 'no image: the app deploys as a source bundle of its own files';
        mark(['image'], { state: 'skipped', summary });
        result.stages.push({ stage: 'image', workflowId: null, result: 'skipped', durationMs: 0, summary });
        status.done += 1;
        group.stages = group.stages.filter((s) => s !== 'image');
      }
      const began = Date.now();
      setStage(group.stages.join('+'));
      status.step = childId;
      mark(group.stages, { state: 'running', workflowId: childId, workflowType: childWorkflowType[group.name], startedAt: new Date(began).toISOString() });
      status.nextAction =
        group.name === 'deploy' && !input.autoApprove && !group.stages.includes('restart')
          ? gateAtChild
            ? `wait: ${childWorkflowType.deploy} ${childId} builds and pushes the image; a decision counts only once this status shows waiting.for "approval", which then says how to approve`
            : `wait; once the image is pushed, approve with: npm run approve -- ${workflowId}  (or in the UI: Signal "approveDeploy" with {"by":"your-name"} on this workflow)`
          : `wait: ${childWorkflowType[group.name]} ${childId} is running. ${progressHow(childId, workflowId).sentence} ` +
            `To stop the release: in the Temporal UI, Request Cancellation on ${workflowId}; with the CLI: temporal workflow cancel --workflow-id ${workflowId} (its teardown still runs).`;
      let summary: string;
      let watch: DataHostWatch | undefined;
      const watchChild = (child: StartedChild): void => {
        watch = watchDataHostOf(child, (wait) => showHostWait(wait, group, childId));
      };
      try {
        summary = await runGroup(group, childId, common, input, result, onDeployStarted, watchChild);
      } catch (err) {
        const failedState = isCancellation(err) ? 'cancelled' : 'failed';
        mark(group.stages, { state: failedState, endedAt: new Date(Date.now()).toISOString(), durationMs: Date.now() - began, summary: stageFailureMessage(err) });
        if (isCancellation(err)) throw err;
        notifier?.emit(
          'stage-failed',
          { kind: 'stage-failed', site, workflowId, stage: group.stages.join('+'), childWorkflowId: childId, cause: stageFailureMessage(err) },
          { anyHost: failureOfType(err, 'HostUnavailable') !== undefined },
        );
        throw ApplicationFailure.create({
          type: 'ReleaseStageFailed',
          message: `Release stage "${group.stages.join('+')}" failed in child workflow ${childId} (see /namespaces/${namespace}/workflows/${childId} in the Temporal UI): ${stageFailureMessage(err)}`,
          nonRetryable: true,
          cause: err instanceof Error ? err : undefined,
          details: [{ stage: group.name, workflowId: childId }],
        });
      } finally {
        watch?.stop();
      }
      const durationMs = Date.now() - began;
      mark(group.stages, { state: 'completed', endedAt: new Date(Date.now()).toISOString(), durationMs, summary });
      for (const stage of group.stages) result.stages.push({ stage, workflowId: childId, result: 'ok', durationMs, summary });
      status.done += group.stages.length;
    }
  } catch (err) {
    status.stage = isCancellation(err) ? 'cancelled' : 'failed';
    status.step = null;
    status.waiting = null;
    status.endedAt = new Date(Date.now()).toISOString();
    status.error = stageFailureMessage(err);
    status.nextAction = nextActionAfter(err, status);
    if (claim.searchAttributes) upsertSearchAttributes([{ key: runbookStageKey, value: status.stage }]);
    await lock?.release();
    await notifier?.settle();
    throw err;
  }
  setStage('completed');
  status.step = null;
  status.waiting = null;
  status.endedAt = new Date(Date.now()).toISOString();
  status.nextAction = 'none: the release is done';
  result.durationMs = Date.now() - startedAt;
  await lock?.release();
  if (notifier) {
    releaseFinished(notifier, result, selected);
    await notifier.settle();
    result.notifications = notifier.view();
  }
  // An approval update still being answered finishes before the run closes.
  if (gateAtChild) await condition(allHandlersFinished);
  log.info('release finished', { site, stages: selected });
  return result;
}

/**
 * Takes the site's lock: a child with a fixed id per site, which the server refuses to start
 * twice. Started outside cancellation so that cancelling the release still releases it last.
 */
async function lockSite(site: string): Promise<{ release: () => Promise<void> }> {
  const { workflowId, runId } = workflowInfo();
  const lockId = siteLockId(site);
  let handle: ChildWorkflowHandle<typeof siteLockWorkflow>;
  try {
    handle = await CancellationScope.nonCancellable(() =>
      startChild(siteLockWorkflow, {
        workflowId: lockId,
        args: [{ site, holder: { workflowId, runId } }],
        memo: { holderWorkflowId: workflowId, holderRunId: runId, site },
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
      }),
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return refuseSecondRelease({ site, lockId });
    throw err;
  }
  let released = false;
  return {
    release: () =>
      CancellationScope.nonCancellable(async () => {
        if (released) return;
        released = true;
        await handle.signal(releaseSiteLockSignal);
        await handle.result();
      }),
  };
}

/** What the gate's report handler needs from the config, known only once it is loaded. */
interface GateLimits {
  rollbackMinutes: number | null;
}

interface Decisions {
  childStarted: (handle: ChildWorkflowHandle<typeof deployWorkflow>) => Promise<void>;
}

/**
 * Decisions count only at the deploy's gate, for a release as for a deploy. The child reports
 * its gate to the release, which shows it as its own and forwards a decision only while the
 * gate is open; an Update says at once whether it counted, a signal that cannot count is
 * recorded in the status as ignored.
 */
function gateDecisions(status: ReleaseStatus, hasGate: boolean, limits: GateLimits, onReport: (report: DeployReport) => void): Decisions {
  let child: ChildWorkflowHandle<typeof deployWorkflow> | undefined;
  const { workflowId: releaseId, namespace } = workflowInfo();
  setHandler(deployReportSignal, (report) => {
    // Only this release's deploy child reports here; anything else (e.g. a signal sent by hand
    // from the UI's list) would overwrite the gate a person reads.
    if (report?.workflowId !== `${releaseId}-deploy`) return;
    const now = Date.now();
    // The person started the release: the ways to decide name it, not its child.
    const how = approvalHow(releaseId, namespace);
    status.approval = { ...report.approval, how };
    status.deployStage = report.stage;
    onReport(report);
    status.deploy = {
      workflowType: childWorkflowType.deploy,
      workflowId: report.workflowId,
      stage: report.stage,
      image: report.image,
      versionLabel: report.versionLabel,
      environment: report.approval.deploys?.environment ?? null,
      settings: report.approval.deploys?.settings ?? null,
      nextAction: report.nextAction,
      error: report.error,
      reportedAt: new Date(now).toISOString(),
    };
    if (status.step !== report.workflowId || ['completed', 'failed', 'rolled-back', 'cancelled', 'rejected', 'approval-timed-out'].includes(report.stage)) {
      status.waiting = null;
      return;
    }
    const waitingFor = report.approval.waiting ? 'approval' : report.stage === 'rolling-back' ? 'rollback' : null;
    // A wait reported again keeps the moment it began.
    const since = status.waiting?.for === waitingFor ? status.waiting.since : new Date(now).toISOString();
    for (const view of status.stages) if (view.workflowId === report.workflowId) view.state = waitingFor === 'approval' ? 'waiting' : 'running';
    const watch = progressHow(report.workflowId, releaseId);
    if (waitingFor === 'approval') {
      const deploys = report.approval.deploys;
      status.waiting = {
        for: 'approval',
        workflowType: childWorkflowType.deploy,
        workflowId: report.workflowId,
        since,
        until: report.approval.deadline,
        what: `a person's approval to deploy ${deploys?.image ?? '?'} (digest ${report.image.digest ?? '?'}) as ${deploys?.versionLabel ?? '?'} on ${deploys?.environment ?? '?'}; settings: ${deploys?.settings ?? '?'}. Who may approve: ${how.who}.`,
        ui: `${how.ui.approve}; to reject: ${how.ui.reject}`,
        cli: `${how.cli}; to reject: ${how.rejectCli}`,
      };
      status.nextAction = approvalSteps(status.approval);
    } else if (waitingFor === 'rollback') {
      const until = limits.rollbackMinutes === null ? null : new Date(Date.parse(since) + limits.rollbackMinutes * 60_000).toISOString();
      status.waiting = {
        for: 'rollback',
        workflowType: childWorkflowType.deploy,
        workflowId: report.workflowId,
        since,
        until,
        what: `the deploy failed (${report.error?.split('\n')[0] ?? 'see the deploy'}) and is ${report.nextAction.replace(/^wait: /, '')}; nothing to decide, the release fails once the environment is healthy again (or says what to do if the rollback fails)`,
        ui: `nothing to do; to follow it: ${watch.ui}`,
        cli: `nothing to do; to follow it: ${watch.cli}`,
      };
      status.nextAction = `wait: rollback in progress until ${until ?? "the deploy's time limit"}. ${status.waiting.what}`;
    } else if (status.waiting?.for !== 'host') {
      // A host that stopped taking the deploy's work stays shown until the watch clears it.
      status.waiting = null;
      status.nextAction = `${report.nextAction}. ${watch.sentence}`;
    }
  });
  // Until the deploy reports its gate, a release that will have one says "not yet", not "never".
  const notYet: ApprovalView = { waiting: false, deploys: null, how: approvalHow(releaseId, namespace), deadline: null, decision: null, by: null, note: null, at: null };
  const refusal = (request: unknown): string | undefined =>
    decisionRefusal(releaseId, request, status.approval ?? (hasGate ? notYet : null), status.deployStage ?? status.stage);
  const forward = async (kind: 'approve' | 'reject', by: string, text: string | undefined): Promise<void> => {
    if (!child) throw new Error('the deploy child is not running');
    if (kind === 'approve') await child.signal(approveDeploySignal, { by, ...(text ? { note: text } : {}) });
    else await child.signal(rejectDeploySignal, { by, reason: text ?? '(no reason given)' });
  };
  const onSignal = async (kind: 'approve' | 'reject', by: unknown, text: unknown): Promise<void> => {
    const who = typeof by === 'string' && by.trim() ? by.trim() : 'unknown';
    const request = { decision: kind, by: who, ...(typeof text === 'string' ? (kind === 'approve' ? { note: text } : { reason: text }) : {}) };
    const why = refusal(request);
    if (why) {
      status.ignoredDecision = { kind, by: who, at: new Date(Date.now()).toISOString(), why };
      log.warn('decision ignored', { kind, by: who, why });
      return;
    }
    await forward(kind, who, typeof text === 'string' ? text : undefined);
  };
  setHandler(approveDeploySignal, (payload: ApproveDeploy) => onSignal('approve', payload?.by, payload?.note));
  setHandler(rejectDeploySignal, (payload: RejectDeploy) => onSignal('reject', payload?.by, payload?.reason));
  setHandler(
    decideDeployUpdate,
    async (request): Promise<DeployDecisionResult> => {
      const by = request.by.trim();
      await forward(request.decision, by, request.decision === 'approve' ? request.note : request.reason);
      // The child confirms through its report; the gate may have closed (timed out) meanwhile.
      const confirmed = await condition(() => status.approval?.waiting === false, '1 minute');
      const approval = status.approval;
      const expected = request.decision === 'approve' ? 'approved' : 'rejected';
      if (!confirmed || !approval || approval.decision !== expected || approval.by !== by) {
        throw ApplicationFailure.create({
          type: 'DecisionNotTaken',
          nonRetryable: true,
          message: `The deploy did not take the decision: its gate ended as "${approval?.decision ?? 'unknown'}"${approval?.by ? ` by ${approval.by}` : ''}.`,
        });
      }
      return { workflowId: status.step ?? workflowInfo().workflowId, decision: expected, by, deploys: approval.deploys };
    },
    {
      validator: (request) => {
        const why = refusal(request);
        if (why) throw new Error(why);
      },
    },
  );
  return {
    childStarted: (handle) => {
      child = handle;
      return Promise.resolve();
    },
  };
}

/** Releases started before the gate report: a decision is held and forwarded once the child exists. */
function heldDecisions(status: ReleaseStatus): Decisions {
  let deployChild: ChildWorkflowHandle<typeof deployWorkflow> | undefined;
  let pending: { kind: 'approve'; payload: ApproveDeploy } | { kind: 'reject'; payload: RejectDeploy } | undefined;
  const forward = async (): Promise<void> => {
    if (!deployChild || !pending) return;
    const decision = pending;
    pending = undefined;
    status.pendingDecision = null;
    if (decision.kind === 'approve') await deployChild.signal(approveDeploySignal, decision.payload);
    else await deployChild.signal(rejectDeploySignal, decision.payload);
  };
  setHandler(approveDeploySignal, async (payload) => {
    pending = { kind: 'approve', payload };
    status.pendingDecision = 'approve';
    await forward();
  });
  setHandler(rejectDeploySignal, async (payload) => {
    pending = { kind: 'reject', payload };
    status.pendingDecision = 'reject';
    await forward();
  });
  return {
    childStarted: (handle) => {
      deployChild = handle;
      return forward();
    },
  };
}

async function runGroup(
  group: Group,
  workflowId: string,
  common: { site: string; configPath?: string },
  input: ReturnType<typeof releaseInputSchema.parse>,
  result: ReleaseResult,
  onDeployStarted: (handle: ChildWorkflowHandle<typeof deployWorkflow>) => Promise<void>,
  watchChild: (child: StartedChild) => void,
): Promise<string> {
  switch (group.name) {
    case 'website': {
      const pushImage = group.stages.includes('image');
      const child = await startChild(websiteWorkflow, { ...childDefaults, workflowId, args: [{ ...common, ...(pushImage ? { pushImage } : {}) }] });
      watchChild(child);
      const checked = await child.result();
      result.website = checked;
      return `${checked.smoke.url} served ${checked.smoke.bytes} bytes${checked.image ? `; pipeline image ${checked.image.reference}` : ''}`;
    }
    case 'compile': {
      const onlyFigures = !group.stages.includes('compile');
      const child = await startChild(compileWorkflow, {
        ...childDefaults,
        workflowId,
        args: [{ ...common, skipFigures: !group.stages.includes('figures'), ...(onlyFigures ? { steps: [] } : {}) }],
      });
      watchChild(child);
      const compiled = await child.result();
      result.compile = compiled;
      return `${compiled.steps.length} steps, ${compiled.manifest.files} files, ${compiled.manifest.rows} rows${compiled.figures.length ? `, figures ${compiled.figures.join(', ')}` : ''}`;
    }
    case 'sync': {
      const child = await startChild(syncDataWorkflow, { ...childDefaults, workflowId, args: [{ ...common, ...(input.dryRun ? { dryRun: true } : {}) }] });
      watchChild(child);
      const synced = await child.result();
      result.sync = synced;
      return `${synced.dryRun ? 'would upload' : 'uploaded'} ${synced.uploaded.files} files (${synced.uploaded.bytes} bytes), ${synced.dryRun ? 'would delete' : 'deleted'} ${synced.deleted.files}, server ${synced.serverId ?? 'none'} for ${Math.round(synced.serverSeconds)} s`;
    }
    case 'deploy': {
      const restartOnly = group.stages.includes('restart');
      const child = await startChild(deployWorkflow, {
        ...childDefaults,
        workflowId,
        args: [{ ...common, restartOnly, skipBuild: !group.stages.includes('image'), ...(input.autoApprove ? { autoApprove: true } : {}) }],
      });
      await onDeployStarted(child);
      watchChild(child);
      const deployed = await child.result();
      result.deploy = deployed;
      if (!deployed.deployed) {
        throw ApplicationFailure.create({
          type: 'DeployNotApproved',
          message:
            deployed.outcome === 'rejected'
              ? `the deploy was rejected by ${deployed.rejectedBy ?? 'someone'}: ${deployed.rejectionReason ?? 'no reason given'}`
              : 'nobody approved the deploy in time; nothing was changed',
          nonRetryable: true,
        });
      }
      return deployed.outcome === 'restarted'
        ? `restarted ${deployed.environment}, ${deployed.finalHealth?.color ?? 'unknown'}`
        : `${deployed.versionLabel ?? '?'} on ${deployed.environment} (${deployed.image?.reference ?? (deployed.bundle.files.includes('Dockerrun.aws.json') ? 'existing image' : `source bundle of ${deployed.bundle.files.length} files`)}), approved by ${deployed.approvedBy ?? '?'}`;
    }
  }
}

function requireSections(config: Parameters<typeof missingSection>[0], stages: ReleaseStage[], dryRun: boolean, appBundle: boolean): void {
  for (const stage of ['sync', 'image', 'deploy', 'restart', 'website'] as const) {
    if (!stages.includes(stage) || (dryRun && stage !== 'sync')) continue;
    const missing = missingSection(config, stage, appBundle);
    if (missing) throw ApplicationFailure.create({ type: 'InvalidConfig', nonRetryable: true, message: missing.message, details: [{ field: missing.section }] });
  }
}
