import { AwsError } from '../errors.js';
import { evaluate } from './policy.js';
import type { Input } from '../protocols/input.js';
import type { SimContext } from '../context.js';

/**
 * iam:SimulatePrincipalPolicy answered from the same policies the sim enforces, so a preflight
 * that asks "may I delete what I am about to create?" gets the answer the real call would.
 */
export function simulatePrincipalPolicy(input: Input, ctx: SimContext): Record<string, unknown> {
  const arn = input.str('PolicySourceArn');
  const principal = ctx.auth.byArn(arn);
  if (!principal) throw new AwsError('NoSuchEntity', `The user with name ${arn.split('/').pop() ?? arn} cannot be found.`, 404);
  const actions = input.optStrList('ActionNames');
  if (!actions || actions.length === 0) throw input.dialect.missing('ActionNames');
  const resources = input.optStrList('ResourceArns') ?? ['*'];
  const context: Record<string, string> = {};
  for (const entry of input.optObjList('ContextEntries') ?? []) {
    const value = entry.optStrList('ContextKeyValues')?.[0];
    if (value !== undefined) context[entry.str('ContextKeyName')] = value;
  }
  const results = actions.flatMap((action) => resources.map((resource) => {
    const { decision, matched } = evaluate(principal.policy, action, resource, context);
    return {
      EvalActionName: action,
      EvalResourceName: resource,
      EvalDecision: decision,
      MatchedStatements: matched.map((m) => ({ SourcePolicyId: m.sid ?? `statement-${m.index + 1}`, SourcePolicyType: 'user' })),
      MissingContextValues: [],
    };
  }));
  return { EvaluationResults: results, IsTruncated: false };
}
