import { AwsError, defaultStatusFor } from './errors.js';
import { sleep } from './http-util.js';
import { advanceWorld } from './world.js';
import { authorize } from './auth/authorize.js';
import { iamActionFor } from './auth/actions.js';
import type { SimContext } from './context.js';

const injectedMessages: Record<string, string> = {
  ThrottlingException: 'Rate exceeded',
  Throttling: 'Rate exceeded',
  ServiceUnavailableException: 'Service is unavailable. Try again later.',
  ServiceUnavailable: 'Service is unavailable. Try again later.',
  SlowDown: 'Please reduce your request rate.',
  InternalServerError: 'We encountered an internal error. Please try again.',
  InternalError: 'We encountered an internal error. Please try again.',
  InternalFailure: 'The request processing has failed because of an unknown error, exception or failure.',
};

/**
 * Every AWS operation goes through here: time-driven state catches up, injected faults fire
 * (latency, then error), the handler runs, and the state is saved before the reply leaves.
 */
export async function runOperation<T>(
  ctx: SimContext, service: string, operation: string, handler: () => T | Promise<T>,
  /** The ARN the operation acts on, for the IAM check; `*` when the service has no finer one. */
  resource = '*',
): Promise<T> {
  ctx.operation = { service, name: operation };
  advanceWorld(ctx);
  authorize(ctx, iamActionFor(service, operation), resource);
  const effect = ctx.faults.forRequest(service, operation);
  if (effect.latencyMs > 0) await sleep(effect.latencyMs);
  if (effect.error) {
    const { code, status, message } = s3Throttling(service, effect.error);
    throw new AwsError(code, message ?? injectedMessages[code] ?? `Injected fault ${code}`, status ?? defaultStatusFor(code));
  }
  try {
    return await handler();
  } finally {
    ctx.store.save();
  }
}

/**
 * S3 throttles only as 503 SlowDown. A fault that throttles every service the JSON or query way
 * (400 ThrottlingException) would reach an S3 client as a bare 400, since HEAD answers carry no
 * body to name the code: S3 gets its own form of the same fault.
 */
function s3Throttling<E extends { code: string; status?: number; message?: string }>(service: string, error: E): E {
  if (service !== 's3' || (error.code !== 'ThrottlingException' && error.code !== 'Throttling')) return error;
  return { ...error, code: 'SlowDown', status: 503, message: undefined };
}
