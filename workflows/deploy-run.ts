import { ApplicationFailure, CancellationScope, condition, isCancellation, log, patched, workflowInfo } from '@temporalio/workflow';
import type { DeploySite } from '../activities/deploy/deploy-config.js';
import type { DeployTarget } from '../activities/deploy/check-deploy-target.js';
import type { PushedImage } from '../activities/deploy/push-image.js';
import type { HealthyEnvironment, HealthWaitPurpose } from '../activities/deploy/wait-for-healthy-environment.js';
import type { SmokeCheckResult } from '../activities/deploy/smoke-check.js';
import type { UploadedBundle } from '../activities/deploy/upload-bundle.js';
import type { SettingsChange } from '../activities/deploy/environment-settings.js';
import type { PruneResult } from '../activities/deploy/prune-release-artifacts.js';
import type { SiteConfig } from '../config/load.js';
import { missingSection } from '../config/stage-sections.js';
import type { deployInputSchema } from './deploy-input.js';
import { buildActivities, healthActivities, pruneActivities, pushActivities, quickActivities, smokeActivities, waitingActivities } from './deploy-options.js';
import type { ApprovalTimedOut, Deployed, DeployResult, Rejected, Restarted } from './deploy-result.js';
import { approvalSteps, deployProgressSignal, type DeployStatus } from './deploy-status.js';
import { Patches } from './patches.js';
import { innermostMessage } from './failure-message.js';

type Image = NonNullable<SiteConfig['image']>;
const { checkDeployTarget, discardSourceBundle, resolvePushedImage, uploadSourceBundle } = quickActivities;
const { pruneReleaseArtifacts } = pruneActivities;

/** A person's decision at the gate, as the signal or update handler recorded it. */
export interface Decision {
  kind: 'approved' | 'rejected';
  by: string;
  text: string | null;
  at: string;
}

export function deploySite(config: SiteConfig, restartOnly: boolean): DeploySite {
  const { beanstalk, aws } = config;
  if (!beanstalk || !aws) {
    const missing = missingSection(config, restartOnly ? 'restart' : 'deploy');
    throw ApplicationFailure.create({ type: 'InvalidConfig', nonRetryable: true, message: missing?.message ?? `Config file ${config.configPath} lacks a section the deploy needs.`, details: [{ field: missing?.section }] });
  }
  return {
    site: config.site,
    // Env settings are read from here by the activities that apply them, never carried in history.
    configPath: config.configPath,
    siteDir: config.siteDir,
    stateDir: config.stateDir,
    aws: { region: aws.region, ...(aws.endpoint ? { endpoint: aws.endpoint } : {}) },
    image: config.image,
    beanstalk,
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
export class DeployRun {
  private target!: DeployTarget;
  private image: PushedImage | null = null;
  private versionLabel: string | null = null;
  private previousVersion: string | null = null;
  private bundle: UploadedBundle | null = null;
  private environmentCreated = false;
  private settingsApplied: SettingsChange | null = null;
  private pruned: PruneResult | null = null;
  private changeStartedAt: number | null = null;
  /**
   * The saga: each step that changed the environment pushes how to undo it, and a failure after
   * it unwinds the list in reverse. Steps before the change (build, push, upload, version) leave
   * nothing running that needs undoing (a refused version's bundle is deleted in createVersion).
   */
  private readonly compensations: { what: string; undo: (reason: unknown) => Promise<void> }[] = [];

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
    // No image section: checkDeployTarget accepted the app's own files for the platform.
    if (!site.image && patched(Patches.appSourceBundle)) return this.deployApp();

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
    await this.createVersion(this.versionLabel, this.bundle, `${this.image.reference} by ${workflowInfo().workflowId}`);

    if (this.target.createEnvironment) return this.firstDeploy();
    return this.update();
  }

  /**
   * A Python (any non-Docker) app: its own files are the bundle, and their digest names the
   * version, so an unchanged app reuses its version and bundle (the deploy says so) instead of
   * piling up copies. The same gate, health wait, smoke check and rollback as an image deploy.
   */
  private async deployApp(): Promise<DeployResult> {
    const { site, target } = this;
    const digest = target.appBundleDigest ?? '';
    this.versionLabel = `${site.site}-app-${digest.slice(0, 16)}`.slice(0, 100);
    this.status.versionLabel = this.versionLabel;
    const current = target.environment?.versionLabel ?? null;
    const settings = target.settings?.summary;
    const same = current === this.versionLabel ? ' (the version it already runs: the app is unchanged)' : '';
    const verdict = await this.approvalGate(`deploy the app's ${target.bundleFiles.length} files as ${this.versionLabel}${same}${settings ? ` (settings: ${settings})` : ''}`);
    if (verdict) return verdict;
    const bucket = target.bucket as string;
    this.stage('uploading', 'uploadSourceBundle', `wait: uploading the source bundle to s3://${bucket}`);
    this.bundle = await uploadSourceBundle({ site, bucket, versionLabel: this.versionLabel });
    if (same) this.status.lastLine = `app unchanged: ${this.versionLabel} and its bundle are reused`;
    this.stage('creating-version', 'createApplicationVersion', `wait: Beanstalk is processing version ${this.versionLabel}`);
    await this.createVersion(this.versionLabel, this.bundle, `app bundle sha256:${digest.slice(0, 16)} (${target.bundleFiles.length} files) by ${workflowInfo().workflowId}`);
    if (target.createEnvironment) return this.firstDeploy();
    return this.update();
  }

  /**
   * A version Beanstalk refuses (quota, BundleInvalid) leaves its bundle behind: it is deleted
   * here, so the bucket holds no more than the versions that exist even when no later deploy
   * succeeds. A failed cleanup is logged; the refusal is what the deploy reports.
   */
  private async createVersion(versionLabel: string, bundle: UploadedBundle, description: string): Promise<void> {
    const { site } = this;
    try {
      await waitingActivities(site.beanstalk).createApplicationVersion({ site, versionLabel, bucket: bundle.bucket, key: bundle.key, description });
    } catch (err) {
      if (patched(Patches.discardRefusedBundle)) {
        try {
          await CancellationScope.nonCancellable(() => discardSourceBundle({ site, versionLabel, bucket: bundle.bucket, key: bundle.key }));
        } catch (cleanupErr) {
          log.warn('could not delete the bundle of the refused version', { versionLabel, key: bundle.key, error: innermostMessage(cleanupErr) });
        }
      }
      throw err;
    }
  }

  /** Waits for approveDeploy/rejectDeploy unless autoApprove; returns a result when not approved. */
  private async approvalGate(what: string): Promise<DeployResult | undefined> {
    const { status, site } = this;
    const env = site.beanstalk.environment;
    status.approval.deploys = {
      image: this.image?.reference ?? (this.input.restartOnly ? '(restart, no new image)' : '(no image: a source bundle of the app\'s files)'),
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
    return this.restarted(healthy, smoke);
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
    return this.deployed(healthy, smoke);
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
      this.settingsApplied = update.settings ?? null;
      this.previousVersion = update.previousVersion ?? this.target.environment?.versionLabel ?? null;
      this.status.previousVersion = this.previousVersion;
      this.compensateWith(label, this.previousVersion);
      // Already Ready on the version (a release of an unchanged app, or a retry after the update finished): nothing to settle.
      // (`?.`: results recorded before the field existed replay without it.)
      healthy = await this.waitHealthy(label, update.requestedAt, deadlineMs, 'deploy', update.alreadyRequested && update.environment?.status === 'Ready');
      smoke = await this.smoke(healthy);
    } catch (err) {
      await this.unwind(err);
      throw err;
    }
    await this.prune();
    return this.deployed(healthy, smoke);
  }

  /**
   * Only after a healthy, smoke-checked deploy: stray bundles and images no retained version
   * runs are deleted. The deploy already succeeded, so a failure here is reported, not raised.
   */
  private async prune(): Promise<void> {
    if (!patched(Patches.pruneReleaseArtifacts) || !this.bundle || (!this.image && this.site.image)) return;
    this.stage('pruning', 'pruneReleaseArtifacts', 'wait: deleting bundles and images no retained version uses');
    try {
      this.pruned = await pruneReleaseArtifacts({ site: this.site, bucket: this.bundle.bucket, ...(this.image ? { digest: this.image.digest } : {}) });
    } catch (err) {
      this.status.lastLine = `pruning old bundles and images failed (the deploy itself succeeded): ${innermostMessage(err)}`;
      log.warn('post-deploy prune failed', { error: innermostMessage(err) });
    }
  }

  private async waitHealthy(expectVersion: string | null, since: number, deadlineMs: number, purpose: HealthWaitPurpose, unchanged = false): Promise<HealthyEnvironment> {
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
      ...(unchanged ? { unchanged } : {}),
    });
    this.status.health = { status: healthy.status, color: healthy.color, healthStatus: healthy.healthStatus, versionLabel: healthy.versionLabel, causes: healthy.causes };
    return healthy;
  }

  private async smoke(healthy: HealthyEnvironment): Promise<SmokeCheckResult> {
    const { beanstalk } = this.site;
    // Results recorded before smokeHost existed carried the sim's host:port as the CNAME.
    const host = healthy.smokeHost === undefined ? healthy.cname : healthy.smokeHost;
    if (!host) throw ApplicationFailure.create({ type: 'SmokeCheckFailed', nonRetryable: true, message: `Environment ${beanstalk.environment} reports no CNAME (or EndpointURL on the sim) to smoke-check.` });
    this.stage('smoke-check', 'smokeCheck', `wait: GET http://${host}${beanstalk.smokePath} must answer 200 within ${beanstalk.smokeTimeoutSeconds} s`);
    return smokeActivities(beanstalk).smokeCheck({ cname: host, path: beanstalk.smokePath, timeoutSeconds: beanstalk.smokeTimeoutSeconds });
  }

  /**
   * Once Beanstalk was asked to run `label`, the undo is a rollback to the version that ran
   * before. When none is possible the status says what a person must do instead.
   */
  private compensateWith(label: string, previous: string | null): void {
    const { beanstalk } = this.site;
    if (beanstalk.rollback && previous && previous !== label) {
      this.compensations.push({ what: `roll back to ${previous}`, undo: (reason) => this.rollBack(label, previous, reason) });
      return;
    }
    this.compensations.push({
      what: 'no rollback possible',
      undo: async (reason) => {
        log.error('deploy failed and no rollback is possible', { rollback: beanstalk.rollback, previous, reason: innermostMessage(reason) });
        this.status.nextAction = beanstalk.rollback
          ? `act: the environment had no previous version to roll back to; fix the cause and deploy again`
          : `act: rollback is off (beanstalk.rollback); ${beanstalk.environment} may be running the failed version ${label}`;
      },
    });
  }

  /** Runs the compensations in reverse, even while the workflow is being cancelled. */
  private async unwind(err: unknown): Promise<void> {
    for (const step of [...this.compensations].reverse()) {
      log.warn('compensating', { step: step.what });
      await CancellationScope.nonCancellable(() => step.undo(err));
    }
  }

  /**
   * Back to the version that ran before, waited until healthy again. Always ends by throwing
   * (unless cancelling): DeployRolledBack when the rollback worked, RollbackFailed (loudly) when
   * it did not; the original error is kept in both.
   */
  private async rollBack(label: string, previous: string, err: unknown): Promise<void> {
    const { site, status } = this;
    const reason = innermostMessage(err);
    const failure = applicationFailureOf(err);
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
    status.stage = 'rolled-back';
    status.nextAction = `none: ${site.beanstalk.environment} runs ${previous} again and is healthy; fix the cause, then deploy again`;
    if (isCancellation(err)) return; // The cancellation itself is what the workflow reports.
    throw ApplicationFailure.create({
      type: 'DeployRolledBack',
      nonRetryable: true,
      message: `Version ${label} was rolled back: ${site.beanstalk.environment} runs ${previous} again and is healthy. Why: ${reason}`,
      // The original failure is in the message and details, not chained: a chain would print it twice.
      details: [{ rolledBack: true, versionLabel: label, previousVersion: previous, reason, failureType: failure?.type ?? null }],
    });
  }

  private notDeployed(outcome: 'rejected' | 'approval-timed-out'): Rejected | ApprovalTimedOut {
    const decision = this.decision();
    if (outcome === 'rejected' && decision?.kind === 'rejected') {
      return { ...this.base(), outcome, deployed: false, rejectedBy: decision.by, rejectionReason: decision.text };
    }
    return { ...this.base(), outcome: 'approval-timed-out', deployed: false, approvalDeadline: this.status.approval.deadline };
  }

  private changed(healthy: HealthyEnvironment, smoke: SmokeCheckResult) {
    return {
      ...this.base(),
      deployed: true as const,
      finalHealth: { status: healthy.status, color: healthy.color, healthStatus: healthy.healthStatus, versionLabel: healthy.versionLabel, causes: healthy.causes },
      cname: healthy.cname,
      smoke,
      deployDurationMs: this.changeStartedAt === null ? null : Date.now() - this.changeStartedAt,
      healthWaitMs: healthy.waitedMs,
      healthWaitResumed: healthy.resumed,
      eventsLog: healthy.eventsLogPath,
      rolledBack: false as const,
    };
  }

  private restarted(healthy: HealthyEnvironment, smoke: SmokeCheckResult): Restarted {
    this.stage('completed', null, 'none: app servers restarted and healthy');
    return { ...this.changed(healthy, smoke), outcome: 'restarted' };
  }

  private deployed(healthy: HealthyEnvironment, smoke: SmokeCheckResult): Deployed {
    this.stage('completed', null, `none: ${this.site.beanstalk.environment} runs ${this.versionLabel ?? ''}`);
    const { approval } = this.status;
    const bundle = this.bundle as UploadedBundle;
    return {
      ...this.changed(healthy, smoke),
      outcome: 'deployed',
      environmentCreated: this.environmentCreated,
      approvedBy: approval.by ?? 'unknown',
      approvedAt: approval.at,
      approvalNote: approval.note,
      autoApproved: approval.decision === 'auto-approved',
      bundle: { bucket: bundle.bucket, key: bundle.key, bytes: bundle.bytes, files: bundle.files },
      settings: this.settingsApplied,
      pruned: this.pruned,
    };
  }

  private base() {
    const image = this.image;
    return {
      site: this.site.site,
      mode: this.input.restartOnly ? ('restart' as const) : ('deploy' as const),
      application: this.site.beanstalk.application,
      environment: this.site.beanstalk.environment,
      image: image ? { repository: image.repository, tag: image.tag, digest: image.digest, reference: image.reference, pushed: image.pushed, pushAttempts: image.attempts } : null,
      versionLabel: this.versionLabel,
      previousVersion: this.previousVersion ?? this.target?.environment?.versionLabel ?? null,
      durationMs: Date.now() - this.startedAt,
    };
  }
}
