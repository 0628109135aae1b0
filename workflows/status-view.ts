import { isCancellation } from '@temporalio/workflow';
import { innermostMessage } from './failure-message.js';

/**
 * The fields every workflow's `status` query shares, so the CLI's progress line and the UI's
 * Queries tab read them the same way whatever the workflow; each status adds its own.
 */
export interface StatusView<Stage extends string> {
  stage: Stage;
  /** The step running now (activity or script name), null between steps. */
  step: string | null;
  /** Units done and in total within the step, when it reports them. */
  done: number | null;
  total: number | null;
  lastLine: string | null;
  /** What a person should do now, or "wait: …" / "none: …". */
  nextAction: string;
  /** Workflow time stands still between events: elapsedMs is as of asOf, startedAt is the truth. */
  elapsedMs: number;
  asOf: string;
  startedAt: string;
}

/** The shared fields of a status as a workflow starts: no step yet, clocks at the start. */
export function startingView(startedAt: number, nextAction: string) {
  const at = new Date(startedAt).toISOString();
  return { step: null, done: null, total: null, lastLine: null, nextAction, elapsedMs: 0, asOf: at, startedAt: at };
}

/** The status as the query answers it: elapsed time and asOf computed at the moment of asking. */
export function asOfNow<S extends { elapsedMs: number; asOf: string }>(status: S, startedAt: number): S {
  return { ...status, elapsedMs: Date.now() - startedAt, asOf: new Date(Date.now()).toISOString() };
}

/**
 * Runs a workflow's body; an error that ends it ends the status too: cancelled or failed, the
 * innermost cause (the sentence a person acts on, not the wrapper around it), and what to do
 * next in either case.
 */
export async function endingStatusOnError<Stage extends string, T>(
  status: { stage: Stage | 'cancelled' | 'failed'; error: string | null; nextAction: string },
  next: { cancelled: string; failed: string },
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (err) {
    const cancelled = isCancellation(err);
    status.stage = cancelled ? 'cancelled' : 'failed';
    status.error = innermostMessage(err);
    status.nextAction = cancelled ? next.cancelled : next.failed;
    throw err;
  }
}
