import { defineQuery } from '@temporalio/workflow';
import type { ApprovalView, DeployStage } from './deploy-status.js';
import type { ReleaseStage } from './release-input.js';
import type { NotificationsView } from './notifier.js';

export type StageState = 'pending' | 'running' | 'waiting' | 'completed' | 'failed' | 'cancelled' | 'skipped';

export interface StageView {
  stage: ReleaseStage;
  state: StageState;
  /** The child workflow that runs it, as the UI lists it (null only for a stage a dry run skips). */
  workflowType: string | null;
  workflowId: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /** Set once the stage ended; while it runs, the reader counts from startedAt. */
  durationMs: number | null;
  /** One line: what it did, or why it failed or was skipped. */
  summary: string | null;
}

/**
 * What the release waits for and how to move it on, in the UI and with the CLI alike. A person
 * reading the Queries tab needs nothing else to act.
 */
export interface WaitingView {
  /** approval: a person decides; rollback: it ends by itself; host: the data host's worker must come back. */
  for: 'approval' | 'rollback' | 'host';
  /** The workflow that waits (the release's child), as the UI lists it. */
  workflowType: string;
  workflowId: string;
  since: string;
  /** When the wait ends by itself (the approval deadline, the rollback's time limit). */
  until: string | null;
  what: string;
  /** Exactly what to do in the Temporal UI, and the same with the CLI. */
  ui: string;
  cli: string;
}

/** The deploy child's state as it last reported it to the release (kept current by the workflow). */
export interface DeployReportView {
  workflowType: string;
  workflowId: string;
  stage: DeployStage;
  image: { reference: string | null; digest: string | null };
  versionLabel: string | null;
  environment: string | null;
  /** Environment settings the deploy changes, names only ("will set DATA_DIR, add secret FLASK_SECRET_KEY"). */
  settings: string | null;
  nextAction: string;
  error: string | null;
  reportedAt: string;
}

export interface ReleaseStatus {
  workflow: 'release';
  workflowType: 'releaseWorkflow';
  workflowId: string;
  site: string | null;
  stage: string;
  /** Set while the release waits for something (a person's approval, a rollback, its data host), with how to move it on. */
  waiting: WaitingView | null;
  nextAction: string;
  error: string | null;
  /** The running child workflow's id, if any. */
  step: string | null;
  done: number;
  total: number;
  lastLine: string | null;
  /** Times are timestamps: the reader computes durations, so they are true whenever read. */
  startedAt: string;
  endedAt: string | null;
  stages: StageView[];
  /** Only in releases started before decisions counted at the gate alone: a decision held for the child. */
  pendingDecision: 'approve' | 'reject' | null;
  /** The deploy child's gate as the release's own (kept current by the child's reports). */
  approval: ApprovalView | null;
  /** The deploy child's own stage, as it last reported it. */
  deployStage: DeployStage | null;
  deploy: DeployReportView | null;
  /** The last decision that arrived when nothing waited for one, and why it did not count. */
  ignoredDecision: { kind: 'approve' | 'reject'; by: string; at: string; why: string } | null;
  /** Only for a config with a `notify` section: what was sent, and which channels fail. */
  notifications?: NotificationsView;
}

export const releaseStatusQuery = defineQuery<ReleaseStatus>('status');
