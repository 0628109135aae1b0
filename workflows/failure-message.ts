import { ApplicationFailure } from '@temporalio/workflow';

/** The innermost message of a failure chain: the one that says what went wrong. */
export function innermostMessage(err: unknown): string {
  let message = String(err);
  for (let current: unknown = err; current instanceof Error; current = current.cause) message = current.message || message;
  return message;
}

/**
 * The message that says what went wrong: the innermost failure the runbook raised on purpose
 * (HostUnavailable says which host and what to do, its cause only "ScheduleToStart timeout"),
 * else the innermost one.
 */
export function stageFailureMessage(err: unknown): string {
  const messages: string[] = [];
  let raised: string | undefined;
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    if (current.message && !messages.includes(current.message)) messages.push(current.message);
    if (current instanceof ApplicationFailure && current.type !== 'ReleaseStageFailed' && current.message) raised = current.message;
  }
  return raised ?? messages.at(-1) ?? String(err);
}

/** Whether the runbook raised a failure of this type anywhere in the chain (e.g. HostUnavailable). */
export function hasFailureType(err: unknown, type: string): boolean {
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure && current.type === type) return true;
  }
  return false;
}
