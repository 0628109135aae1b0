import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { SyncHeartbeat } from '../activities/sync/sync-progress.js';
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

/** Progress the upload and verify activities send: their heartbeat details, owned by the activity. */
export type SyncProgressSignal = Omit<SyncHeartbeat, 'done' | 'total'>;

export const syncStatusQuery = defineQuery<SyncStatus>('status');
/** Sent by the running upload; its name is passed to the activity so it never imports this. */
export const syncProgressSignal = defineSignal<[SyncProgressSignal]>('syncProgress');
