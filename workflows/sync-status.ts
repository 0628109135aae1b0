import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StatusView } from './status-view.js';

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

export interface SyncStatus extends StatusView<SyncStage> {
  workflow: 'sync';
  site: string | null;
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
