import { activityInfo, heartbeat } from '@temporalio/activity';
import { activityProgress, type ProgressChannel } from '../progress/report-progress.js';

export type SyncPhase = 'listing' | 'uploading' | 'deleting' | 'verifying';

/** Heartbeat details of the upload and verify activities; the retry resumes from them. */
export interface SyncHeartbeat {
  phase: SyncPhase;
  attempt: number;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  bytesPerSecond: number;
  /** done/total/lastLine: what `npm run status` reads from any activity's heartbeat. */
  done: number;
  total: number;
  lastLine: string;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Heartbeats every second (so cancellation and a dead worker are noticed fast) and hands each
 * beat to the shared progress channel, which signals the workflow for its `status` query with
 * bounded staleness (activities/progress/report-progress.ts).
 */
export class SyncProgress {
  readonly state: SyncHeartbeat;
  private readonly began = Date.now();
  private readonly bytesAtStart: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly channel: ProgressChannel<SyncHeartbeat>;

  constructor(phase: SyncPhase, signalName: string | undefined, resumed: Partial<SyncHeartbeat> | undefined) {
    this.channel = activityProgress<SyncHeartbeat>(signalName);
    const attempt = activityInfo().attempt;
    this.state = {
      phase,
      attempt,
      filesDone: resumed?.filesDone ?? 0,
      filesTotal: resumed?.filesTotal ?? 0,
      bytesDone: resumed?.bytesDone ?? 0,
      bytesTotal: resumed?.bytesTotal ?? 0,
      bytesPerSecond: 0,
      done: 0,
      total: 0,
      lastLine: phase === 'verifying' ? 'verifying the remote side' : 'listing the local and remote trees',
    };
    this.bytesAtStart = this.state.bytesDone;
  }

  start(): this {
    this.beat();
    this.timer = setInterval(() => this.beat(), 1000);
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.channel.stop();
  }

  update(change: Partial<SyncHeartbeat>): void {
    Object.assign(this.state, change);
  }

  line(text: string): void {
    this.state.lastLine = text;
  }

  private beat(): void {
    const s = this.state;
    const seconds = (Date.now() - this.began) / 1000;
    s.bytesPerSecond = seconds > 0 ? Math.round((s.bytesDone - this.bytesAtStart) / seconds) : 0;
    s.done = s.filesDone;
    s.total = s.filesTotal;
    heartbeat({ ...s });
    this.channel.report({ ...s });
  }
}
