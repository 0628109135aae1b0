import { AwsError } from '../errors.js';
import { evaluate, statements, type PolicyDocument } from './policy.js';
import { MANAGED_POLICIES } from './managed-policies.js';
import type { Input } from '../protocols/input.js';
import type { SimContext } from '../context.js';

/**
 * iam:SimulatePrincipalPolicy answered from the same policies the sim enforces, so a preflight
 * that asks "may I delete what I am about to create?" gets the answer the real call would.
 */
export function simulatePrincipalPolicy(input: Input, ctx: SimContext): Record<string, unknown> {
  const arn = input.str('PolicySourceArn');
  const source = policySource(ctx, arn);
  const actions = input.optStrList('ActionNames');
  if (!actions || actions.length === 0) throw input.dialect.missing('ActionNames');
  const resources = input.optStrList('ResourceArns') ?? ['*'];
  const context: Record<string, string> = {};
  for (const entry of input.optObjList('ContextEntries') ?? []) {
    const value = entry.optStrList('ContextKeyValues')?.[0];
    if (value !== undefined) context[entry.str('ContextKeyName')] = value;
  }
  const results = actions.flatMap((action) => resources.map((resource) => {
    const { decision, matched } = evaluate(source.policy, action, resource, context);
    return {
      EvalActionName: action,
      EvalResourceName: resource,
      EvalDecision: decision,
      MatchedStatements: matched.map((m) => ({ SourcePolicyId: m.sid ?? `statement-${m.index + 1}`, SourcePolicyType: source.type })),
      MissingContextValues: [],
    };
  }));
  return { EvaluationResults: results, IsTruncated: false };
}

/** A user's policy, or a role's inline and known managed policies as one document. */
function policySource(ctx: SimContext, arn: string): { policy: PolicyDocument; type: 'user' | 'role' } {
  const roleName = /^arn:aws[\w-]*:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(arn)?.[1];
  if (roleName !== undefined) {
    const role = ctx.store.state.iam.roles[roleName];
    if (!role) throw new AwsError('NoSuchEntity', `The role with name ${roleName} cannot be found.`, 404);
    const documents = [...Object.values(role.inline ?? {}), ...role.policies.flatMap((p) => (MANAGED_POLICIES[p] ? [MANAGED_POLICIES[p]] : []))];
    return { policy: { Version: '2012-10-17', Statement: documents.flatMap(statements) }, type: 'role' };
  }
  const principal = ctx.auth.byArn(arn);
  if (!principal) throw new AwsError('NoSuchEntity', `The user with name ${arn.split('/').pop() ?? arn} cannot be found.`, 404);
  return { policy: principal.policy, type: 'user' };
}
