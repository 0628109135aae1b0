import { defineQuery } from '@temporalio/workflow';
import type { ApprovalView, DeployStage } from './deploy-status.js';
import type { ReleaseStage } from './release-input.js';
import type { NotificationsView } from './notifier.js';

export type StageState = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'skipped';

export interface StageView {
  stage: ReleaseStage;
  state: StageState;
  /** The child workflow that runs it, findable in the UI. */
  workflowId: string | null;
  workflowType: string | null;
  startedAt: string | null;
  durationMs: number | null;
  /** One line: what it did, or why it failed or was skipped. */
  summary: string | null;
}

export interface ReleaseStatus {
  workflow: 'release';
  site: string | null;
  stage: string;
  /** The running child workflow's id, if any. */
  step: string | null;
  done: number;
  total: number;
  lastLine: string | null;
  elapsedMs: number;
  startedAt: string;
  stages: StageView[];
  /** Only in releases started before decisions counted at the gate alone: a decision held for the child. */
  pendingDecision: 'approve' | 'reject' | null;
  /** The deploy child's gate as the release's own (kept current by the child's reports). */
  approval: ApprovalView | null;
  /** The deploy child's own stage, as it last reported it. */
  deployStage: DeployStage | null;
  /** The last decision that arrived when nothing waited for one, and why it did not count. */
  ignoredDecision: { kind: 'approve' | 'reject'; by: string; at: string; why: string } | null;
  error: string | null;
  nextAction: string;
  /** Only for a config with a `notify` section: what was sent, and which channels fail. */
  notifications?: NotificationsView;
}

export const releaseStatusQuery = defineQuery<ReleaseStatus>('status');
