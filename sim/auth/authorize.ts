import { AwsError } from '../errors.js';
import { evaluate } from './policy.js';
import type { AuthFailure } from './sigv4.js';
import type { SimContext } from '../context.js';

/** How a service frames its errors on the wire; authentication errors are worded per protocol. */
export type WireProtocol = 'json' | 'query' | 'rest-json' | 'rest-xml';

const failureCodes: Record<WireProtocol, Record<AuthFailure['kind'], string>> = {
  json: { missing: 'MissingAuthenticationTokenException', unknownKey: 'UnrecognizedClientException', badSignature: 'InvalidSignatureException' },
  'rest-json': { missing: 'MissingAuthenticationTokenException', unknownKey: 'UnrecognizedClientException', badSignature: 'InvalidSignatureException' },
  query: { missing: 'MissingAuthenticationToken', unknownKey: 'InvalidClientTokenId', badSignature: 'SignatureDoesNotMatch' },
  'rest-xml': { missing: 'AccessDenied', unknownKey: 'InvalidAccessKeyId', badSignature: 'SignatureDoesNotMatch' },
};

export function authFailureError(protocol: WireProtocol, failure: AuthFailure): AwsError {
  const message = protocol === 'rest-xml' && failure.kind === 'unknownKey'
    ? 'The AWS Access Key Id you provided does not exist in our records.'
    : protocol === 'rest-xml' && failure.kind === 'missing' ? 'Access Denied' : failure.message;
  return new AwsError(failureCodes[protocol][failure.kind], message, 403);
}

const deniedCode: Record<WireProtocol, string> = { json: 'AccessDeniedException', 'rest-json': 'AccessDeniedException', query: 'AccessDenied', 'rest-xml': 'AccessDenied' };

/**
 * Refuses, the way the service would, an action the caller's policy does not allow. Without a
 * verified caller (signatures off and none sent) or with policies off, everything passes.
 */
export function authorize(ctx: SimContext, action: string, resource: string, context: Record<string, string> = {}): void {
  const caller = ctx.caller;
  if (!caller || !ctx.auth.settings.policies) return;
  const { decision } = evaluate(caller.policy, action, resource, context);
  if (decision === 'allowed') return;
  const why = decision === 'explicitDeny' ? 'with an explicit deny in an identity-based policy' : 'because no identity-based policy allows the ' + action + ' action';
  throw new AwsError(deniedCode[ctx.protocol ?? 'json'],
    `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`, 403);
}
