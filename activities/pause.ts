import { activityInfo, cancelled, heartbeat } from '@temporalio/activity';

/**
 * Sleeps, ending early with the activity's cancellation. Heartbeats throughout, so a wait that
 * is long between polls still proves the worker is alive.
 */
export async function pause(ms: number, details?: () => unknown): Promise<void> {
  const deadline = Date.now() + ms;
  let cancelError: unknown;
  const whenCancelled = cancelled().catch((err: unknown) => {
    cancelError = err;
  });
  while (Date.now() < deadline) {
    heartbeat(details?.());
    await Promise.race([new Promise((resolve) => setTimeout(resolve, Math.min(1000, deadline - Date.now()))), whenCancelled]);
    if (cancelError !== undefined) throw cancelError;
  }
}

/** Heartbeat details of the previous attempt of this activity, if it got far enough to send any. */
export function previousDetails<T>(): T | undefined {
  return activityInfo().heartbeatDetails as T | undefined;
}

/** One try of {@link tryUntilDeadline}: the answer, or a line saying why not yet. */
export type TryOutcome<T> = { value: T } | { last: string };

/**
 * Calls `once` until it answers or `timeoutSeconds` pass, pausing `stepMs` × tries (at most
 * `maxStepMs`, never past the deadline) between tries while heartbeating; `once` gets the time
 * left for its own request. At the deadline, `giveUp` names the last answer.
 */
export async function tryUntilDeadline<T>(
  o: { timeoutSeconds: number; stepMs: number; maxStepMs: number; url: string },
  once: (timeoutMs: number) => Promise<TryOutcome<T>>,
  giveUp: (attempts: number, last: string) => Error,
): Promise<{ value: T; attempts: number }> {
  const deadline = Date.now() + o.timeoutSeconds * 1000;
  let attempts = 0;
  let last = 'no answer yet';
  for (;;) {
    attempts += 1;
    const outcome = await once(Math.min(15_000, Math.max(1000, deadline - Date.now())));
    if ('value' in outcome) return { value: outcome.value, attempts };
    last = outcome.last;
    if (Date.now() >= deadline) throw giveUp(attempts, last);
    await pause(Math.min(o.stepMs * attempts, o.maxStepMs, Math.max(0, deadline - Date.now())), () => ({ url: o.url, attempts, lastLine: last }));
  }
}
