import { defineQuery } from '@temporalio/workflow';
import type { ReleaseStage } from './release-input.js';

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
  /** A decision signalled before the deploy child started waits here and is forwarded to it. */
  pendingDecision: 'approve' | 'reject' | null;
  error: string | null;
  nextAction: string;
}

export const releaseStatusQuery = defineQuery<ReleaseStatus>('status');
