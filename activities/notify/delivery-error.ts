/**
 * Why a delivery did not go through, and what that means for another attempt: `delivered` says
 * whether the message may already be out (then it is never sent again), `permanent` whether
 * trying again could help at all. Messages never hold the webhook URL, which is a credential.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    message: string,
    readonly mayBeDelivered: boolean,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

// Connection errors that prove no byte of the request reached the receiver.
const NEVER_CONNECTED = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_CONNECT_TIMEOUT)$/;

/** A failed request's network cause as a DeliveryError: whether the receiver may have it. */
export function networkFailure(err: unknown, timedOut: boolean, what: string): DeliveryError {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  const code = typeof cause?.code === 'string' ? cause.code : (err as NodeJS.ErrnoException).code;
  if (timedOut) return new DeliveryError(`${what} did not answer in time; it may have the message, so it is not sent again`, true, true);
  if (typeof code === 'string' && NEVER_CONNECTED.test(code)) return new DeliveryError(`${what} could not be reached (${code})`, false, false);
  return new DeliveryError(`${what} dropped the request (${typeof code === 'string' ? code : err instanceof Error ? err.name : 'unknown error'}); it may have the message, so it is not sent again`, true, true);
}
