import { defineQuery, defineSignal } from '@temporalio/workflow';

export type SyncStage =
  | 'starting'
  | 'checking'
  | 'planning'
  | 'provisioning'
  | 'waiting-online'
  | 'creating-user'
  | 'syncing'
  | 'verifying'
  | 'tearing-down'
  | 'restarting'
  | 'completed'
  | 'failed'
  | 'cancelled';

export interface SyncStatus {
  workflow: 'sync';
  site: string | null;
  stage: SyncStage;
  step: string | null;
  /** Files done and total (what the generic progress line shows). */
  done: number | null;
  total: number | null;
  /** Workflow time stands still between events: elapsedMs is as of asOf, startedAt is the truth. */
  elapsedMs: number;
  asOf: string;
  lastLine: string | null;
  nextAction: string;
  startedAt: string;
  dryRun: boolean;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  /** Which attempt of the running activity reported last (2+ means it resumed). */
  attempt: number;
  serverId: string | null;
  serverCreatedAt: string | null;
  /** Age of the server now, the figure its bill grows with. */
  serverAgeMs: number | null;
  serverSeconds: number | null;
  estimatedCost: number | null;
  error: string | null;
}

/** Progress the upload and verify activities send; the same shape as their heartbeat details. */
export interface SyncProgressSignal {
  phase: 'listing' | 'uploading' | 'deleting' | 'verifying';
  attempt: number;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  lastLine: string;
}

export const syncStatusQuery = defineQuery<SyncStatus>('status');
/** Sent by the running upload; its name is passed to the activity so it never imports this. */
export const syncProgressSignal = defineSignal<[SyncProgressSignal]>('syncProgress');
