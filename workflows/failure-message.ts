/** The innermost message of a failure chain: the one that says what went wrong. */
export function innermostMessage(err: unknown): string {
  let message = String(err);
  for (let current: unknown = err; current instanceof Error; current = current.cause) message = current.message || message;
  return message;
}
