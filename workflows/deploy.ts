import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities as Acts } from '../activities/index.js';
import type { DeploySite } from '../activities/deploy/deploy-config.js';
import type { DeployTarget } from '../activities/deploy/check-deploy-target.js';
import type { PushedImage } from '../activities/deploy/push-image.js';
import type { HealthyEnvironment, HealthWaitPurpose } from '../activities/deploy/wait-for-healthy-environment.js';
import type { SmokeCheckResult } from '../activities/deploy/smoke-check.js';
import type { UploadedBundle } from '../activities/deploy/upload-bundle.js';
import type { SettingsChange } from '../activities/deploy/environment-settings.js';
import type { PruneResult } from '../activities/deploy/prune-release-artifacts.js';
import type { SiteConfig } from '../config/load.js';
import { deployInputSchema, type DeployInput } from './deploy-input.js';
import {
  approvalHow,
  approvalSteps,
  approveDeploySignal,
  decideDeployUpdate,
  decisionRefusal,
  deployProgressSignal,
  deployReportSignal,
  deployStatusQuery,
  rejectDeploySignal,
  type DeployStatus,
  type EnvironmentHealthView,
} from './deploy-status.js';
import { parseInput } from './inputs.js';
import { Patches } from './patches.js';
import { innermostMessage } from './failure-message.js';

type Beanstalk = NonNullable<SiteConfig['beanstalk']>;
type Image = NonNullable<SiteConfig['image']>;

/** Config reading and single AWS calls: retried through throttling and 5xx, quick to give up on a bad request. */
const awsCall = {
  startToCloseTimeout: '3 minutes',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
} as const;

/** Activities that wait on Beanstalk (version processing, Ready before an update): heartbeating. */
const beanstalkWait = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 8 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;

const { loadSiteConfig, checkDeployTarget, resolvePushedImage, uploadSourceBundle } = proxyActivities<Acts>(awsCall);

/** Reads each retained version's bundle and deletes in batches: minutes at most, heartbeating. */
const { pruneReleaseArtifacts } = proxyActivities<Acts>({ ...awsCall, startToCloseTimeout: '15 minutes', heartbeatTimeout: '1 minute' });

function waitingActivities(beanstalk: Beanstalk) {
  return proxyActivities<Acts>({ ...beanstalkWait, startToCloseTimeout: `${beanstalk.timeoutMinutes + 10} minutes` });
}

/** The health wait: a dead worker is noticed within the heartbeat timeout and the wait resumes elsewhere. */
function healthActivities(beanstalk: Beanstalk) {
  const heartbeatSeconds = Math.max(10, Math.min(60, beanstalk.pollSeconds * 3));
  return proxyActivities<Acts>({
    startToCloseTimeout: `${beanstalk.timeoutMinutes + 10} minutes`,
    heartbeatTimeout: `${heartbeatSeconds} seconds`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

function smokeActivities(beanstalk: Beanstalk) {
  return proxyActivities<Acts>({
    startToCloseTimeout: `${beanstalk.smokeTimeoutSeconds + 60} seconds`,
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '2s', maximumAttempts: 3 },
  });
}

/** docker build: hours allowed; a crashed worker's build is adopted by the retry. */
function buildActivities(image: Image) {
  return proxyActivities<Acts>({
    startToCloseTimeout: `${image.buildTimeoutHours} hours`,
    heartbeatTimeout: '2 minutes',
    retry: { initialInterval: `${image.retryInitialSeconds} seconds`, backoffCoefficient: 2, maximumAttempts: 2 },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

/** docker push: each attempt bounded inside the activity by image.pushTimeoutMinutes, then retried. */
function pushActivities(image: Image) {
  return proxyActivities<Acts>({
    startToCloseTimeout: `${Math.ceil(image.pushTimeoutMinutes * 60) + 300} seconds`,
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: `${image.retryInitialSeconds} seconds`, backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: image.pushAttempts },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

export interface DeployResult {
  site: string;
  mode: 'deploy' | 'restart';
  /** False when a person rejected the deploy or nobody approved it in time: nothing changed. */
  deployed: boolean;
  outcome: 'deployed' | 'restarted' | 'rejected' | 'approval-timed-out';
  application: string;
  environment: string;
  environmentCreated: boolean;
  image: { repository: string; tag: string; digest: string; reference: string; pushed: boolean; pushAttempts: number } | null;
  versionLabel: string | null;
  previousVersion: string | null;
  approvedBy: string | null;
  approvedAt: string | null;
  approvalNote: string | null;
  autoApproved: boolean;
  rejectedBy: string | null;
  rejectionReason: string | null;
  bundle: { bucket: string; key: string; bytes: number; files: string[] } | null;
  finalHealth: EnvironmentHealthView | null;
  cname: string | null;
  smoke: SmokeCheckResult | null;
  /** Always false here: a rolled-back deploy fails the workflow (type DeployRolledBack) instead. */
  rolledBack: false;
  /** From the Beanstalk change (update, create or restart) to healthy and smoke-checked. */
  deployDurationMs: number | null;
  healthWaitMs: number | null;
  /** True when a worker died during the health wait and another one picked the wait up. */
  healthWaitResumed: boolean;
  /** Environment settings this deploy changed, names only (null: none applied, as for a restart). */
  settings: SettingsChange | null;
  /** What the post-deploy prune deleted (null: not run, as for a restart or a run started before it existed). */
  pruned?: PruneResult | null;
  eventsLog: string | null;
  durationMs: number;
}

interface Decision {
  kind: 'approved' | 'rejected';
  by: string;
  text: string | null;
  at: string;
}

/**
 * Steps 4–5 of the reference runbook: build and push the image, wait for a person's approval,
 * then deploy a source bundle pinned to the pushed digest to Elastic Beanstalk, wait until it is
 * Ready and Green, smoke-check it, and roll back to the previous version if any of that fails.
 * `restartOnly` restarts the app servers instead (data-only releases).
 */
export async function deployWorkflow(rawInput: DeployInput = {}): Promise<DeployResult> {
  const input = parseInput(deployInputSchema, rawInput, 'deployWorkflow');
  const startedAt = Date.now();
  const { workflowId, namespace } = workflowInfo();
  const status: DeployStatus = {
    workflow: 'deploy',
    site: input.site ?? null,
    mode: input.restartOnly ? 'restart' : 'deploy',
    stage: 'starting',
    step: null,
    done: null,
    total: null,
    lastLine: null,
    elapsedMs: 0,
    asOf: new Date(startedAt).toISOString(),
    startedAt: new Date(startedAt).toISOString(),
    nextAction: 'wait: loading the site config',
    approval: { waiting: false, deploys: null, how: approvalHow(workflowId, namespace), deadline: null, decision: null, by: null, note: null, at: null },
    image: { reference: null, digest: null },
    application: null,
    environment: null,
    versionLabel: null,
    previousVersion: null,
    health: null,
    events: [],
    error: null,
  };
  let decision: Decision | undefined;

  setHandler(deployStatusQuery, () => ({ ...status, elapsedMs: Date.now() - startedAt, asOf: new Date(Date.now()).toISOString() }));
  setHandler(deployProgressSignal, (progress) => {
    if (progress.health) {
      status.health = progress.health;
      status.events = [...status.events, ...(progress.events ?? [])].slice(-10);
      status.lastLine = progress.lastLine;
      return;
    }
    if (progress.step !== status.step) return;
    status.done = progress.done;
    status.total = progress.total;
    status.lastLine = progress.lastLine;
  });
  // Signals count only while the run waits at the gate: an approval sent earlier, before the
  // image it would approve even exists, is refused and said so in the status.
  const decide = (kind: Decision['kind'], by: unknown, text: unknown): void => {
    const who = typeof by === 'string' && by.trim() ? by.trim() : 'unknown';
    if (!status.approval.waiting || decision) {
      const why = decision ? `already ${decision.kind} by ${decision.by}` : `not waiting for approval (stage ${status.stage})`;
      log.warn('approval signal ignored', { kind, by: who, why });
      status.lastLine = `${kind === 'approved' ? 'approveDeploy' : 'rejectDeploy'} from ${who} ignored: ${why}`;
      return;
    }
    decision = { kind, by: who, text: typeof text === 'string' && text.trim() ? text.trim() : null, at: new Date(Date.now()).toISOString() };
  };
  setHandler(approveDeploySignal, (signal) => decide('approved', signal?.by, signal?.note));
  setHandler(rejectDeploySignal, (signal) => decide('rejected', signal?.by, signal?.reason ?? '(no reason given)'));
  // The same decision as an Update: whoever sends it learns at once whether it counted.
  setHandler(
    decideDeployUpdate,
    (request) => {
      decide(request.decision === 'approve' ? 'approved' : 'rejected', request.by, request.decision === 'approve' ? request.note : request.reason);
      const taken = decision as Decision | undefined;
      return { workflowId, decision: taken?.kind ?? 'approved', by: taken?.by ?? request.by, deploys: status.approval.deploys };
    },
    {
      validator: (request) => {
        const refusal = decisionRefusal(workflowId, request, decision ? { ...status.approval, waiting: false, decision: decision.kind, by: decision.by } : status.approval, status.stage);
        if (refusal) throw new Error(refusal);
      },
    },
  );

  // A release shows its deploy's gate as its own: the child reports each waiting state and its end.
  const parent = patched(Patches.deployReportsToRelease) ? workflowInfo().parent : undefined;
  const report = async (): Promise<void> => {
    if (!parent) return;
    await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(deployReportSignal, {
      workflowId,
      stage: status.stage,
      nextAction: status.nextAction,
      approval: status.approval,
      image: status.image,
      versionLabel: status.versionLabel,
      error: status.error,
    });
  };

  try {
    const config = await loadSiteConfig({ configPath: input.configPath, site: input.site });
    const site = deploySite(config);
    status.site = config.site;
    status.application = site.beanstalk.application;
    status.environment = site.beanstalk.environment;
    const run = new DeployRun(input, site, status, startedAt, () => decision, report);
    const result = await run.execute();
    await report();
    return result;
  } catch (err) {
    if (isCancellation(err)) {
      status.stage = 'cancelled';
      status.nextAction = 'none: the deploy was cancelled (a Beanstalk change in flight was rolled back)';
    } else if (status.stage !== 'rolled-back') {
      status.stage = 'failed';
      status.nextAction = 'fix the cause named in the error, then start a new deploy';
    }
    status.error = innermostMessage(err);
    if (!isCancellation(err)) await report();
    throw err;
  }
}

function deploySite(config: SiteConfig): DeploySite {
  if (!config.beanstalk) {
    throw ApplicationFailure.create({
      type: 'InvalidConfig',
      nonRetryable: true,
      message: `Config file ${config.configPath} has no "beanstalk" section: add beanstalk.application and beanstalk.environment.`,
      details: [{ field: 'beanstalk' }],
    });
  }
  if (!config.aws) {
    throw ApplicationFailure.create({
      type: 'InvalidConfig',
      nonRetryable: true,
      message: `Config file ${config.configPath} has no "aws" section: add aws.region (and aws.endpoint for the local sim).`,
      details: [{ field: 'aws' }],
    });
  }
  return {
    site: config.site,
    // Env settings are read from here by the activities that apply them, never carried in history.
    configPath: config.configPath,
    siteDir: config.siteDir,
    stateDir: config.stateDir,
    aws: { region: config.aws.region, ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) },
    image: config.image,
    beanstalk: config.beanstalk,
  };
}

function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  let current: unknown = err;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) return current;
    current = current.cause;
  }
  return undefined;
}

function versionLabelFor(site: string, gitSha: string | null, now: number, runId: string): string {
  const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').replace(/\..*$/, '');
  // The run id suffix keeps two deploys started in the same second apart.
  return [site, gitSha, stamp, runId.replace(/-/g, '').slice(0, 4)].filter(Boolean).join('-').slice(0, 100);
}

/** One deploy's state and steps; a class so the saga's undo can see what was done so far. */
class DeployRun {
  private target!: DeployTarget;
  private image: PushedImage | null = null;
  private versionLabel: string | null = null;
  private previousVersion: string | null = null;
  private bundle: UploadedBundle | null = null;
  private environmentCreated = false;
  private settingsApplied: SettingsChange | null = null;
  private pruned: PruneResult | null = null;
  /** Set once Beanstalk was asked to change: from here on a failure means a rollback. */
  private changeRequested = false;
  private changeStartedAt: number | null = null;

  constructor(
    private readonly input: ReturnType<typeof deployInputSchema.parse>,
    private readonly site: DeploySite,
    private readonly status: DeployStatus,
    private readonly startedAt: number,
    private readonly decision: () => Decision | undefined,
    private readonly report: () => Promise<void>,
  ) {}

  private stage(stage: DeployStatus['stage'], step: string | null, nextAction: string): void {
    this.status.stage = stage;
    this.status.step = step;
    this.status.done = null;
    this.status.total = null;
    this.status.nextAction = nextAction;
  }

  async execute(): Promise<DeployResult> {
    const { site, input } = this;
    this.stage('checking', 'checkDeployTarget', 'wait: checking the bundle, the registry and the environment');
    this.target = await checkDeployTarget({ site, restartOnly: input.restartOnly ?? false, skipBuild: input.skipBuild ?? false });
    this.status.previousVersion = this.target.environment?.versionLabel ?? null;
    if (input.restartOnly) return this.restart();

    const image = site.image as Image;
    const tag = input.imageTag ?? image.tag;
    if (input.skipBuild) {
      this.stage('pushing', 'resolvePushedImage', `wait: looking up ${image.repository}:${tag}`);
      this.image = await resolvePushedImage({ site, tag });
    } else {
      this.stage('building', 'build', 'wait: docker build is running; cancel the workflow to stop it');
      await this.report();
      const built = await buildActivities(image).buildImage({ site, tag, progressSignal: deployProgressSignal.name });
      this.stage('pushing', 'push', `wait: pushing ${image.repository}:${tag}`);
      this.image = await pushActivities(image).pushImage({ site, localRef: built.localRef, tag, progressSignal: deployProgressSignal.name });
    }
    this.status.image = { reference: this.image.reference, digest: this.image.digest };
    this.versionLabel = versionLabelFor(site.site, this.target.gitSha, Date.now(), workflowInfo().runId);
    this.status.versionLabel = this.versionLabel;

    const settings = this.target.settings?.summary;
    const verdict = await this.approvalGate(`deploy ${this.image.reference} as ${this.versionLabel}${settings ? ` (settings: ${settings})` : ''}`);
    if (verdict) return verdict;

    const { bucket } = this.target;
    this.stage('uploading', 'uploadSourceBundle', `wait: uploading the source bundle to s3://${bucket ?? ''}`);
    this.bundle = await uploadSourceBundle({ site, bucket: bucket as string, versionLabel: this.versionLabel, repository: this.image.repository, digest: this.image.digest });
    this.stage('creating-version', 'createApplicationVersion', `wait: Beanstalk is processing version ${this.versionLabel}`);
    const waits = waitingActivities(site.beanstalk);
    await waits.createApplicationVersion({
      site,
      versionLabel: this.versionLabel,
      bucket: this.bundle.bucket,
      key: this.bundle.key,
      description: `${this.image.reference} by ${workflowInfo().workflowId}`,
    });

    if (this.target.createEnvironment) return this.firstDeploy();
    return this.update();
  }

  /** Waits for approveDeploy/rejectDeploy unless autoApprove; returns a result when not approved. */
  private async approvalGate(what: string): Promise<DeployResult | undefined> {
    const { status, site } = this;
    const env = site.beanstalk.environment;
    status.approval.deploys = {
      image: this.image?.reference ?? '(restart, no new image)',
      versionLabel: this.versionLabel ?? this.target.environment?.versionLabel ?? '',
      environment: env,
      currentVersion: this.target.environment?.versionLabel ?? null,
      settings: this.input.restartOnly ? 'none (a restart applies no settings)' : (this.target.settings?.summary ?? 'no setting changes'),
    };
    if (this.input.autoApprove) {
      status.approval = { ...status.approval, decision: 'auto-approved', by: 'autoApprove', at: new Date(Date.now()).toISOString() };
      return undefined;
    }
    const timeoutMs = Math.round(site.beanstalk.approvalTimeoutHours * 3600_000);
    status.approval.waiting = true;
    status.approval.deadline = new Date(Date.now() + timeoutMs).toISOString();
    this.stage('awaiting-approval', null, approvalSteps(status.approval));
    log.info('waiting for approval', { what, environment: env, deadline: status.approval.deadline });
    await this.report();
    const decided = await condition(() => this.decision() !== undefined, timeoutMs);
    status.approval.waiting = false;
    const decision = this.decision();
    if (!decided || !decision) {
      status.approval.decision = 'timed-out';
      this.stage('approval-timed-out', null, 'none: nobody approved in time, nothing was deployed; start a new deploy to try again');
      log.warn('approval timed out; ending without deploying', { hours: site.beanstalk.approvalTimeoutHours });
      return this.notDeployed('approval-timed-out');
    }
    status.approval = { ...status.approval, decision: decision.kind, by: decision.by, note: decision.text, at: decision.at };
    this.stage(decision.kind === 'approved' ? 'uploading' : 'rejected', null, decision.kind === 'approved' ? `wait: approved by ${decision.by}; deploying` : `none: rejected by ${decision.by}`);
    await this.report();
    if (decision.kind === 'rejected') {
      this.stage('rejected', null, `none: rejected by ${decision.by} (${decision.text ?? ''}); nothing was deployed`);
      log.info('deploy rejected', { by: decision.by, reason: decision.text });
      return this.notDeployed('rejected');
    }
    log.info('deploy approved', { by: decision.by, note: decision.text });
    return undefined;
  }

  private async restart(): Promise<DeployResult> {
    // No approval gate: the new data is already live on EFS by now, a restart only makes the app
    // read it, and data-only releases run unattended from schedules.
    const { site } = this;
    const deadlineMs = Date.now() + site.beanstalk.timeoutMinutes * 60_000;
    const pending = this.target.settings;
    if (pending && pending.summary !== 'no setting changes') {
      // A restart never changes settings: the difference waits for the next deploy, and says so.
      this.status.lastLine = `restartOnly applies no settings; the next deploy ${pending.summary}`;
      log.warn('restartOnly: environment settings differ from the config and are not applied', { settings: pending.summary });
    }
    this.stage('restarting', 'restartAppServer', `wait: restarting the app servers of ${site.beanstalk.environment}`);
    this.changeStartedAt = Date.now();
    const request = await waitingActivities(site.beanstalk).restartAppServer({ site, deadlineMs });
    const healthy = await this.waitHealthy(request.versionLabel, request.requestedAt, deadlineMs, 'restart');
    const smoke = await this.smoke(healthy);
    return this.result('restarted', healthy, smoke);
  }

  private async firstDeploy(): Promise<DeployResult> {
    const { site } = this;
    const label = this.versionLabel as string;
    const deadlineMs = Date.now() + site.beanstalk.timeoutMinutes * 60_000;
    this.stage('creating-environment', 'createEnvironment', `wait: launching environment ${site.beanstalk.environment} (first deploy)`);
    this.changeStartedAt = Date.now();
    const created = await waitingActivities(site.beanstalk).createEnvironment({ site, versionLabel: label });
    this.environmentCreated = true;
    this.settingsApplied = this.target.settings;
    // No previous version to roll back to: a failure leaves the new environment for inspection.
    const healthy = await this.waitHealthy(label, created.requestedAt, deadlineMs, 'launch');
    const smoke = await this.smoke(healthy);
    await this.prune();
    return this.result('deployed', healthy, smoke);
  }

  private async update(): Promise<DeployResult> {
    const { site } = this;
    const label = this.versionLabel as string;
    const deadlineMs = Date.now() + site.beanstalk.timeoutMinutes * 60_000;
    this.stage('updating', 'updateEnvironment', `wait: asking ${site.beanstalk.environment} to run ${label} (once it is Ready)`);
    this.changeStartedAt = Date.now();
    let healthy: HealthyEnvironment;
    let smoke: SmokeCheckResult;
    try {
      const update = await waitingActivities(site.beanstalk).updateEnvironment({ site, versionLabel: label, deadlineMs, ...(this.target.settings ? { settings: this.target.settings } : {}) });
      this.changeRequested = true;
      this.settingsApplied = update.settings ?? null;
      this.previousVersion = update.previousVersion ?? this.target.environment?.versionLabel ?? null;
      this.status.previousVersion = this.previousVersion;
      healthy = await this.waitHealthy(label, update.requestedAt, deadlineMs, 'deploy');
      smoke = await this.smoke(healthy);
    } catch (err) {
      await this.rollbackAfter(err);
      throw err;
    }
    await this.prune();
    return this.result('deployed', healthy, smoke);
  }

  /**
   * Only after a healthy, smoke-checked deploy: stray bundles and images no retained version
   * runs are deleted. The deploy already succeeded, so a failure here is reported, not raised.
   */
  private async prune(): Promise<void> {
    if (!patched(Patches.pruneReleaseArtifacts) || !this.bundle || !this.image) return;
    this.stage('pruning', 'pruneReleaseArtifacts', 'wait: deleting bundles and images no retained version uses');
    try {
      this.pruned = await pruneReleaseArtifacts({ site: this.site, bucket: this.bundle.bucket, digest: this.image.digest });
    } catch (err) {
      this.status.lastLine = `pruning old bundles and images failed (the deploy itself succeeded): ${innermostMessage(err)}`;
      log.warn('post-deploy prune failed', { error: innermostMessage(err) });
    }
  }

  private async waitHealthy(expectVersion: string | null, since: number, deadlineMs: number, purpose: HealthWaitPurpose): Promise<HealthyEnvironment> {
    const { site } = this;
    this.stage(
      purpose === 'rollback' ? 'rolling-back' : 'waiting-health',
      `health:${purpose}`,
      `wait: until ${site.beanstalk.environment} is Ready and ${site.beanstalk.acceptYellow ? 'Green or Yellow' : 'Green'}${expectVersion ? ` on ${expectVersion}` : ''} (limit ${site.beanstalk.timeoutMinutes} min)`,
    );
    const healthy = await healthActivities(site.beanstalk).waitForHealthyEnvironment({
      site,
      expectVersion,
      since,
      deadlineMs,
      purpose,
      progressSignal: deployProgressSignal.name,
    });
    this.status.health = { status: healthy.status, color: healthy.color, healthStatus: healthy.healthStatus, versionLabel: healthy.versionLabel, causes: healthy.causes };
    return healthy;
  }

  private async smoke(healthy: HealthyEnvironment): Promise<SmokeCheckResult> {
    const { beanstalk } = this.site;
    if (!healthy.cname) throw ApplicationFailure.create({ type: 'SmokeCheckFailed', nonRetryable: true, message: `Environment ${beanstalk.environment} reports no CNAME to smoke-check.` });
    this.stage('smoke-check', 'smokeCheck', `wait: GET http://${healthy.cname}${beanstalk.smokePath} must answer 200 within ${beanstalk.smokeTimeoutSeconds} s`);
    return smokeActivities(beanstalk).smokeCheck({ cname: healthy.cname, path: beanstalk.smokePath, timeoutSeconds: beanstalk.smokeTimeoutSeconds });
  }

  /**
   * The saga's undo: back to the version that ran before, waited until healthy again. Runs even
   * when the workflow is being cancelled. Always ends by throwing: DeployRolledBack when the
   * rollback worked, RollbackFailed (loudly) when it did not; the original error is kept in both.
   */
  private async rollbackAfter(err: unknown): Promise<void> {
    const { site, status } = this;
    const label = this.versionLabel as string;
    const previous = this.previousVersion;
    const reason = innermostMessage(err);
    if (!this.changeRequested) return;
    if (!site.beanstalk.rollback || !previous || previous === label) {
      log.error('deploy failed and no rollback is possible', { rollback: site.beanstalk.rollback, previous, reason });
      status.nextAction = site.beanstalk.rollback
        ? `act: the environment had no previous version to roll back to; fix the cause and deploy again`
        : `act: rollback is off (beanstalk.rollback); ${site.beanstalk.environment} may be running the failed version ${label}`;
      return;
    }
    const failure = applicationFailureOf(err);
    const cancelled = isCancellation(err);
    await CancellationScope.nonCancellable(async () => {
      const deadlineMs = Date.now() + site.beanstalk.timeoutMinutes * 60_000;
      this.stage('rolling-back', 'abortEnvironmentUpdate', `wait: rolling ${site.beanstalk.environment} back to ${previous}`);
      log.warn('deploy failed; rolling back', { from: label, to: previous, reason, failureType: failure?.type });
      // The release shows why it rolls back while it does.
      status.error = reason;
      await this.report();
      try {
        const waits = waitingActivities(site.beanstalk);
        // An update still in flight (a timeout) would refuse the rollback: abort it first.
        await waits.abortEnvironmentUpdate({ site, deadlineMs });
        this.stage('rolling-back', 'updateEnvironment', `wait: rolling ${site.beanstalk.environment} back to ${previous}`);
        const update = await waits.updateEnvironment({ site, versionLabel: previous, deadlineMs });
        await this.waitHealthy(previous, update.requestedAt, deadlineMs, 'rollback');
      } catch (rollbackErr) {
        const message =
          `ROLLBACK FAILED: deploying ${label} to ${site.beanstalk.environment} failed (${reason}), and rolling back to ${previous} failed too ` +
          `(${innermostMessage(rollbackErr)}). The environment may be running the failed version or be unhealthy: check it in the Beanstalk console now ` +
          `and deploy a known-good version (eb deploy --version ${previous}).`;
        log.error(message);
        status.stage = 'failed';
        status.nextAction = `act now: ${site.beanstalk.environment} may be down; redeploy ${previous}`;
        throw ApplicationFailure.create({ type: 'RollbackFailed', nonRetryable: true, message, details: [{ versionLabel: label, previousVersion: previous, reason }], cause: rollbackErr instanceof Error ? rollbackErr : undefined });
      }
    });
    status.stage = 'rolled-back';
    status.nextAction = `none: ${site.beanstalk.environment} runs ${previous} again and is healthy; fix the cause, then deploy again`;
    if (cancelled) return; // The cancellation itself is what the workflow reports.
    throw ApplicationFailure.create({
      type: 'DeployRolledBack',
      nonRetryable: true,
      message: `Version ${label} was rolled back: ${site.beanstalk.environment} runs ${previous} again and is healthy. Why: ${reason}`,
      // The original failure is in the message and details, not chained: a chain would print it twice.
      details: [{ rolledBack: true, versionLabel: label, previousVersion: previous, reason, failureType: failure?.type ?? null }],
    });
  }

  private notDeployed(outcome: 'rejected' | 'approval-timed-out'): DeployResult {
    const decision = this.decision();
    return {
      ...this.baseResult(),
      deployed: false,
      outcome,
      rejectedBy: decision?.kind === 'rejected' ? decision.by : null,
      rejectionReason: decision?.kind === 'rejected' ? decision.text : null,
    };
  }

  private result(outcome: 'deployed' | 'restarted', healthy: HealthyEnvironment, smoke: SmokeCheckResult): DeployResult {
    this.stage('completed', null, outcome === 'restarted' ? 'none: app servers restarted and healthy' : `none: ${this.site.beanstalk.environment} runs ${this.versionLabel ?? ''}`);
    return {
      ...this.baseResult(),
      deployed: true,
      outcome,
      finalHealth: { status: healthy.status, color: healthy.color, healthStatus: healthy.healthStatus, versionLabel: healthy.versionLabel, causes: healthy.causes },
      cname: healthy.cname,
      smoke,
      deployDurationMs: this.changeStartedAt === null ? null : Date.now() - this.changeStartedAt,
      healthWaitMs: healthy.waitedMs,
      healthWaitResumed: healthy.resumed,
      eventsLog: healthy.eventsLogPath,
    };
  }

  private baseResult(): DeployResult {
    const approval = this.status.approval;
    const approved = approval.decision === 'approved' || approval.decision === 'auto-approved';
    const image = this.image;
    return {
      site: this.site.site,
      mode: this.input.restartOnly ? 'restart' : 'deploy',
      deployed: false,
      outcome: 'deployed',
      application: this.site.beanstalk.application,
      environment: this.site.beanstalk.environment,
      environmentCreated: this.environmentCreated,
      image: image ? { repository: image.repository, tag: image.tag, digest: image.digest, reference: image.reference, pushed: image.pushed, pushAttempts: image.attempts } : null,
      versionLabel: this.versionLabel,
      previousVersion: this.previousVersion ?? this.target?.environment?.versionLabel ?? null,
      approvedBy: approved ? approval.by : null,
      approvedAt: approved ? approval.at : null,
      approvalNote: approved ? approval.note : null,
      autoApproved: approval.decision === 'auto-approved',
      rejectedBy: null,
      rejectionReason: null,
      bundle: this.bundle ? { bucket: this.bundle.bucket, key: this.bundle.key, bytes: this.bundle.bytes, files: this.bundle.files } : null,
      finalHealth: null,
      cname: null,
      smoke: null,
      rolledBack: false,
      deployDurationMs: null,
      healthWaitMs: null,
      healthWaitResumed: false,
      settings: this.settingsApplied,
      pruned: this.pruned,
      eventsLog: null,
      durationMs: Date.now() - this.startedAt,
    };
  }
}
