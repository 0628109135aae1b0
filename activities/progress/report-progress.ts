import { activityInfo, Context } from '@temporalio/activity';

/**
 * The one channel from a running activity to its workflow's `status` query: a signal per update,
 * coalesced and rate-limited so a multi-day step neither floods the history nor goes stale.
 *
 * Spacing between signals grows with the activity's age (1/50 of it, as before, so a long step
 * adds few history events) but never beyond `maxIntervalMs`: a change is on its way to the
 * workflow at most that long after it happened, on day 3 as on minute 1. The 45 s default leaves
 * 15 s of the one-minute freshness promise for delivery, and costs a busy step about 1,900 signal
 * events a day: a 3-day step stays far below Temporal's 51,200-event history limit.
 */
export const DEFAULT_MIN_INTERVAL_MS = 2_000;
export const DEFAULT_MAX_INTERVAL_MS = 45_000;

export interface ProgressClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ProgressClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending progress signal never keeps a process alive.
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ProgressChannelOptions<T> {
  /** Delivers one update (a Temporal signal outside tests). A rejection is logged, not thrown. */
  send: (payload: T) => Promise<void>;
  /** Fewest milliseconds between two signals (early on). */
  minIntervalMs?: number;
  /** Most milliseconds a change waits before it is sent: the freshness bound. */
  maxIntervalMs?: number;
  /** Folds a newer update into one not yet sent; by default the newer replaces it. */
  merge?: (pending: T, next: T) => T;
  /** Updates with the same key as the last one sent are not sent again. */
  key?: (payload: T) => string;
  /** Called when a signal fails; the update stays pending and goes out with the next try. */
  onError?: (err: unknown) => void;
  clock?: ProgressClock;
}

export class ProgressChannel<T> {
  private readonly clock: ProgressClock;
  private readonly began: number;
  private readonly minIntervalMs: number;
  private readonly maxIntervalMs: number;
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private lastKey: string | undefined;
  private pending: { payload: T } | undefined;
  private timer: unknown;
  private inFlight: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ProgressChannelOptions<T>) {
    this.clock = options.clock ?? realClock;
    this.began = this.clock.now();
    this.minIntervalMs = options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS;
    this.maxIntervalMs = Math.max(this.minIntervalMs, options.maxIntervalMs ?? DEFAULT_MAX_INTERVAL_MS);
  }

  /** Records an update; returns at once, the signal goes out when the spacing allows. */
  report(payload: T): void {
    if (this.stopped) return;
    const key = this.options.key?.(payload);
    if (key !== undefined && this.pending === undefined && key === this.lastKey) return;
    const merge = this.options.merge;
    this.pending = { payload: this.pending && merge ? merge(this.pending.payload, payload) : payload };
    this.schedule();
  }

  /** Ends the channel (activity done or cancelled): what is pending is dropped, no timer is left. */
  stop(): void {
    this.stopped = true;
    this.pending = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The spacing at this age: 1/50 of it, between the minimum and the freshness bound. */
  intervalAt(now: number): number {
    return Math.min(this.maxIntervalMs, Math.max(this.minIntervalMs, (now - this.began) / 50));
  }

  private schedule(): void {
    if (this.stopped || this.pending === undefined || this.inFlight !== undefined || this.timer !== undefined) return;
    const now = this.clock.now();
    const wait = this.lastSentAt + this.intervalAt(now) - now;
    if (wait <= 0) {
      this.flush();
      return;
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    if (this.stopped || this.pending === undefined) return;
    const { payload } = this.pending;
    this.pending = undefined;
    this.lastSentAt = this.clock.now();
    this.inFlight = this.options.send(payload).then(
      () => {
        this.lastKey = this.options.key?.(payload);
      },
      (err: unknown) => {
        this.options.onError?.(err);
        // Keep the update for the next try unless a newer one already replaced it.
        if (this.pending === undefined) this.pending = { payload };
        else if (this.options.merge) this.pending = { payload: this.options.merge(payload, this.pending.payload) };
      },
    );
    void this.inFlight.finally(() => {
      this.inFlight = undefined;
      this.schedule();
    });
  }
}

export type ActivityProgressOptions<T> = Omit<ProgressChannelOptions<T>, 'send' | 'onError'>;

/**
 * A progress channel to the workflow that runs the current activity, via `signalName`. Without a
 * signal name (a caller that wants no progress) it accepts updates and sends nothing. It stops by
 * itself when the activity is cancelled; callers stop it when the activity ends.
 */
export function activityProgress<T>(signalName: string | undefined, options: ActivityProgressOptions<T> = {}): ProgressChannel<T> {
  const execution = activityInfo().workflowExecution;
  if (!signalName || !execution) return idleChannel(options);
  const context = Context.current();
  let client: Context['client'];
  try {
    client = context.client;
  } catch (err) {
    // No client (a MockActivityEnvironment in the benchmarks): nothing to signal.
    context.log.debug('no Temporal client; progress stays in heartbeats', { error: String(err) });
    return idleChannel(options);
  }
  // Bound now: the timer fires between the activity's own calls.
  const handle = client.workflow.getHandle(execution.workflowId, execution.runId);
  const logger = context.log;
  let failures = 0;
  const channel = new ProgressChannel<T>({
    ...options,
    send: (payload) => handle.signal(signalName, payload),
    onError: (err) => {
      // The run is closed: nobody will read its status again.
      if (err instanceof Error && err.name === 'WorkflowNotFoundError') {
        channel.stop();
        return;
      }
      failures += 1;
      // Progress is a courtesy: the step's outcome never depends on it. Say so once loudly.
      logger[failures === 1 ? 'warn' : 'debug']('progress signal not delivered; will try again', { signal: signalName, failures, error: String(err) });
    },
  });
  const abort = context.cancellationSignal;
  if (abort.aborted) channel.stop();
  else abort.addEventListener('abort', () => channel.stop(), { once: true });
  return channel;
}

/** A channel that takes updates and sends nothing. */
function idleChannel<T>(options: ActivityProgressOptions<T>): ProgressChannel<T> {
  const idle = new ProgressChannel<T>({ ...options, send: async () => {} });
  idle.stop();
  return idle;
}
