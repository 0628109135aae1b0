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

/** The failure of this type the runbook raised anywhere in the chain (e.g. HostUnavailable), if any. */
export function failureOfType(err: unknown, type: string): ApplicationFailure | undefined {
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure && current.type === type) return current;
  }
  return undefined;
}
