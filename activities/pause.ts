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
