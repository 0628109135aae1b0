import { activityInfo, getClient, heartbeat, log } from '@temporalio/activity';

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
 * Heartbeats every second (so cancellation and a dead worker are noticed fast) and signals the
 * workflow now and then so its `status` query shows progress: every 2 s at first, then at
 * 1/50 of the elapsed time, so a long upload adds hundreds of history events, not thousands.
 */
export class SyncProgress {
  readonly state: SyncHeartbeat;
  private readonly began = Date.now();
  private readonly bytesAtStart: number;
  private timer: NodeJS.Timeout | undefined;
  private lastSignal = 0;

  constructor(
    phase: SyncPhase,
    private readonly signalName: string | undefined,
    resumed: Partial<SyncHeartbeat> | undefined,
  ) {
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
    void this.signal();
  }

  private async signal(): Promise<void> {
    const execution = activityInfo().workflowExecution;
    const now = Date.now();
    if (!this.signalName || !execution || now - this.lastSignal < Math.max(2000, (now - this.began) / 50)) return;
    this.lastSignal = now;
    try {
      await getClient().workflow.getHandle(execution.workflowId, execution.runId).signal(this.signalName, { ...this.state });
    } catch (err) {
      // Progress is a courtesy; the upload never depends on it.
      log.debug('progress signal not delivered', { error: String(err) });
    }
  }
}
