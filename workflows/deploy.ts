import { getExternalWorkflowHandle, isCancellation, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import { deployInputSchema, type DeployInput } from './deploy-input.js';
import { quickActivities } from './deploy-options.js';
import type { DeployResult } from './deploy-result.js';
import { DeployRun, deploySite, type Decision } from './deploy-run.js';
import {
  approvalHow,
  approveDeploySignal,
  decideDeployUpdate,
  decisionRefusal,
  deployProgressSignal,
  deployReportSignal,
  deployStatusQuery,
  rejectDeploySignal,
  type DeployStatus,
} from './deploy-status.js';
import { parseInput } from './inputs.js';
import { asOfNow, startingView } from './status-view.js';
import { Patches } from './patches.js';
import { innermostMessage } from './failure-message.js';

export type { DeployResult } from './deploy-result.js';

const { loadSiteConfig } = quickActivities;


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
    ...startingView(startedAt, 'wait: loading the site config'),
    workflow: 'deploy',
    site: input.site ?? null,
    mode: input.restartOnly ? 'restart' : 'deploy',
    stage: 'starting',
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

  setHandler(deployStatusQuery, () => asOfNow(status, startedAt));
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
    const site = deploySite(config, input.restartOnly ?? false);
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
