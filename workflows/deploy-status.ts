import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

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

/** How a person approves or rejects this run, exactly. */
export interface ApprovalHow {
  cli: string;
  rejectCli: string;
  ui: { signal: string; input: string; rejectSignal: string; rejectInput: string };
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

export interface DeployStatus {
  workflow: 'deploy';
  site: string | null;
  mode: 'deploy' | 'restart';
  stage: DeployStage;
  step: string | null;
  done: number | null;
  total: number | null;
  lastLine: string | null;
  elapsedMs: number;
  startedAt: string;
  nextAction: string;
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
export function approvalHow(workflowId: string): ApprovalHow {
  return {
    cli: `npm run approve -- ${workflowId} [--by NAME] [--note TEXT]`,
    rejectCli: `npm run reject -- ${workflowId} --reason TEXT [--by NAME]`,
    ui: {
      signal: approveDeploySignal.name,
      input: '{"by":"your-name","note":"optional"}',
      rejectSignal: rejectDeploySignal.name,
      rejectInput: '{"by":"your-name","reason":"why"}',
    },
  };
}
