import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { StatusView } from './status-view.js';

// The deploy's messages: exported from a workflow module so the client (`npm run approve`), the
// tests and the workflow use the very same definitions.

export interface ApproveDeploy {
  by: string;
  note?: string;
}

export interface RejectDeploy {
  by: string;
  reason: string;
}

export const approveDeploySignal = defineSignal<[ApproveDeploy]>('approveDeploy');
export const rejectDeploySignal = defineSignal<[RejectDeploy]>('rejectDeploy');

/** A person's decision at the gate, as a Workflow Update: refused at once when it cannot count. */
export interface DeployDecisionRequest {
  decision: 'approve' | 'reject';
  by: string;
  note?: string;
  reason?: string;
}

export interface DeployDecisionResult {
  /** The run that took the decision (the deploy, also when it was sent to its release). */
  workflowId: string;
  decision: 'approved' | 'rejected';
  by: string;
  deploys: ApprovalView['deploys'];
}

export const decideDeployUpdate = defineUpdate<DeployDecisionResult, [DeployDecisionRequest]>('decideDeploy');

/** Why a decision cannot count now, or undefined when it can; shared by the deploy and the release. */
export function decisionRefusal(workflowId: string, request: unknown, approval: ApprovalView | null, stage: string): string | undefined {
  const r = request as Partial<DeployDecisionRequest> | undefined;
  if (!r || (r.decision !== 'approve' && r.decision !== 'reject')) return 'decideDeploy needs "decision": "approve" or "reject".';
  if (typeof r.by !== 'string' || !r.by.trim()) return 'decideDeploy needs "by": the name of the person deciding.';
  if (r.decision === 'reject' && (typeof r.reason !== 'string' || !r.reason.trim())) return 'a rejection needs "reason": say why, for the people who wait on it.';
  if (!approval) return `${workflowId} has no approval gate in this run (stage: ${stage}).`;
  if (!approval.waiting) {
    if (approval.decision) return `${workflowId} is not waiting for approval: it was already ${approval.decision}${approval.by ? ` by ${approval.by}` : ''}.`;
    return `${workflowId} is not waiting for approval yet (stage: ${stage}): decisions count only at the gate, once the image is pushed and the status says awaiting-approval.`;
  }
  return undefined;
}

export type DeployStage =
  | 'starting'
  | 'checking'
  | 'building'
  | 'pushing'
  | 'awaiting-approval'
  | 'uploading'
  | 'creating-version'
  | 'creating-environment'
  | 'updating'
  | 'waiting-health'
  | 'smoke-check'
  | 'pruning'
  | 'restarting'
  | 'rolling-back'
  | 'completed'
  | 'rejected'
  | 'approval-timed-out'
  | 'rolled-back'
  | 'failed'
  | 'cancelled';

export interface EnvironmentHealthView {
  status: string;
  color: string;
  healthStatus: string | null;
  versionLabel: string | null;
  causes: string[];
}

/** How a person approves or rejects this run, exactly: in the Temporal UI and with the CLI alike. */
export interface ApprovalHow {
  /** Who may decide, in words (the runbook adds no list of its own to the server's access control). */
  who: string;
  cli: string;
  rejectCli: string;
  ui: { signal: string; input: string; rejectSignal: string; rejectInput: string; approve: string; reject: string };
  /** The same decision as a Workflow Update (what the CLI sends; it answers at once whether it counted). */
  update: { name: string; approveInput: string; rejectInput: string };
}

export interface ApprovalView {
  waiting: boolean;
  /** Set once the gate is reached; what the approval applies to. */
  deploys: {
    image: string;
    versionLabel: string;
    environment: string;
    currentVersion: string | null;
    /** The environment settings the same update changes, names only: "will set DATA_DIR, add secret FLASK_SECRET_KEY". */
    settings: string;
  } | null;
  how: ApprovalHow;
  deadline: string | null;
  decision: 'approved' | 'rejected' | 'auto-approved' | 'timed-out' | null;
  by: string | null;
  note: string | null;
  at: string | null;
}

export interface DeployStatus extends StatusView<DeployStage> {
  workflow: 'deploy';
  site: string | null;
  mode: 'deploy' | 'restart';
  approval: ApprovalView;
  image: { reference: string | null; digest: string | null };
  application: string | null;
  environment: string | null;
  versionLabel: string | null;
  previousVersion: string | null;
  health: EnvironmentHealthView | null;
  /** The newest Beanstalk events, oldest first; the full stream is in the run's events log. */
  events: string[];
  error: string | null;
}

/** Progress from a running activity: build/push output, or health and events while waiting. */
export interface DeployProgressSignal {
  step: string;
  done: number | null;
  total: number | null;
  lastLine: string | null;
  health?: EnvironmentHealthView;
  events?: string[];
}

export const deployStatusQuery = defineQuery<DeployStatus>('status');

/** Sent by a deploy to the release that started it whenever it waits, decides or ends. */
export interface DeployReport {
  workflowId: string;
  stage: DeployStage;
  nextAction: string;
  approval: ApprovalView;
  image: { reference: string | null; digest: string | null };
  versionLabel: string | null;
  error: string | null;
}

export const deployReportSignal = defineSignal<[DeployReport]>('deployReport');
/** Sent by the deploy's activities; the name is passed to them so they never import this module. */
export const deployProgressSignal = defineSignal<[DeployProgressSignal]>('deployProgress');

/** The exact commands and UI input that approve or reject a run. */
export function approvalHow(workflowId: string, namespace: string): ApprovalHow {
  const input = '{"by":"your-name","note":"optional"}';
  const rejectInput = '{"by":"your-name","reason":"why"}';
  const updateApprove = '{"decision":"approve","by":"your-name"}';
  const updateReject = '{"decision":"reject","by":"your-name","reason":"why"}';
  return {
    who:
      `anyone the Temporal server lets send Signals or Updates to ${workflowId} in namespace ${namespace}; ` +
      'the name given as "by" is recorded in the status, the result and the history',
    cli: `npm run approve -- ${workflowId} [--by NAME] [--note TEXT]`,
    rejectCli: `npm run reject -- ${workflowId} --reason TEXT [--by NAME]`,
    ui: {
      signal: approveDeploySignal.name,
      input,
      rejectSignal: rejectDeploySignal.name,
      rejectInput,
      approve: `open workflow ${workflowId}, More Actions → Send a Signal "${approveDeploySignal.name}" with input ${input} (or Send an Update "${decideDeployUpdate.name}" with ${updateApprove})`,
      reject: `open workflow ${workflowId}, More Actions → Send a Signal "${rejectDeploySignal.name}" with input ${rejectInput} (or Send an Update "${decideDeployUpdate.name}" with ${updateReject})`,
    },
    update: { name: decideDeployUpdate.name, approveInput: updateApprove, rejectInput: updateReject },
  };
}

/** The one sentence a person needs at the gate: what would be deployed, until when, who decides and how. */
export function approvalSteps(approval: Pick<ApprovalView, 'deploys' | 'deadline' | 'how'>): string {
  const { deploys, deadline, how } = approval;
  const what = deploys
    ? `deploy ${deploys.image} as ${deploys.versionLabel} on ${deploys.environment} (running now: ${deploys.currentVersion ?? 'nothing'}; settings: ${deploys.settings})`
    : 'deploy';
  return (
    `waiting for approval until ${deadline ?? '?'} to ${what}. ` +
    `Approve in the Temporal UI: ${how.ui.approve}; with the CLI: ${how.cli}. ` +
    `Reject in the Temporal UI: ${how.ui.reject}; with the CLI: ${how.rejectCli}. Who may approve: ${how.who}.`
  );
}
