import { SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { log } from '@temporalio/activity';
import { nonRetryable } from '../failures.js';
import type { AwsClients } from './clients.js';

/** A permission an undo step will need, asked for before the step it undoes runs. */
export interface NeededPermission {
  action: string;
  resource: string;
  /** The docs/iam-policy.json statement that grants it, for the message. */
  statement: string;
}

// IAM simulates for the role, not for one session of it.
function policySource(callerArn: string): string {
  const assumed = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  return assumed ? `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}` : callerArn;
}

const errorName = (err: unknown): string => (err instanceof Error ? err.name : '');

/**
 * Never create what you cannot delete: asks IAM (SimulatePrincipalPolicy) whether the caller
 * may run each undo action, and refuses — before anything billable exists — naming the first
 * missing action and the policy statement to add it to.
 */
export async function proveUndoAllowed(clients: AwsClients, before: string, needs: (account: string) => NeededPermission[]): Promise<void> {
  const identity = await clients.sts.send(new GetCallerIdentityCommand({}));
  const source = policySource(identity.Arn ?? '');
  const wanted = needs(identity.Account ?? '*');
  for (const need of wanted) {
    let decision: string;
    try {
      const out = await clients.iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: source, ActionNames: [need.action], ResourceArns: [need.resource] }));
      decision = out.EvaluationResults?.[0]?.EvalDecision ?? 'implicitDeny';
    } catch (err) {
      if (!/AccessDenied/.test(errorName(err))) throw err;
      throw nonRetryable('MissingPermission',
        `${before} checks first that it may undo its work, but ${source} may not call iam:SimulatePrincipalPolicy: add "iam:SimulatePrincipalPolicy" on "${source}" (docs/iam-policy.json, statement "PreflightSimulateOwnPermissions").`,
        { action: 'iam:SimulatePrincipalPolicy' });
    }
    if (decision !== 'allowed') {
      throw nonRetryable('MissingPermission',
        `${before} would create what it could not undo: ${source} is not allowed ${need.action} on ${need.resource} (${decision}). ` +
          `Add "${need.action}" to the Action list of statement "${need.statement}" in the identity's policy (see docs/iam-policy.json), then start again; nothing was created.`,
        { action: need.action, resource: need.resource });
    }
  }
  log.info('undo permissions proven', { before, actions: wanted.map((n) => n.action) });
}
