import { WorkflowUpdateFailedError } from '@temporalio/client';
import { InputError } from '../config/errors.js';
import { workflowUiLink } from '../worker/settings.js';
import { decideDeployUpdate, type ApproveDeploy, type RejectDeploy } from '../workflows/deploy-status.js';
import { connect } from './connect.js';
import { describeWorkflow } from './describe-workflow.js';

export type Decision = { kind: 'approve'; payload: ApproveDeploy } | { kind: 'reject'; payload: RejectDeploy };

/** Who is deciding: --by, else the login name, which is what a person would type anyway. */
export function defaultDecider(): string {
  return process.env.USER || process.env.USERNAME || process.env.LOGNAME || 'unknown';
}

/**
 * Sends the decision as the `decideDeploy` Workflow Update to a deploy or a release: the run's
 * validator refuses at once a decision that cannot count (not at the gate yet, already decided),
 * and the answer says what was approved. Exit 0 when it counted, 2 when it was refused.
 */
export async function sendDeployDecision(workflowId: string, decision: Decision): Promise<number> {
  const { client, settings, close } = await connect();
  try {
    const handle = client.workflow.getHandle(workflowId);
    const description = await describeWorkflow(handle, settings.namespace);
    const verb = decision.kind === 'approve' ? 'approve' : 'reject';
    // Deciding on a run that does not wait for it is a wrong id, as a person typed it: exit 2.
    if (description.status.name !== 'RUNNING') {
      throw new InputError('InvalidArgument', 'workflowId', `${workflowId} is ${description.status.name}, not waiting for approval: there is nothing to ${verb}; check the id with npm run status -- ${workflowId}.`);
    }
    if (description.type !== 'deployWorkflow' && description.type !== 'releaseWorkflow') {
      throw new InputError('InvalidArgument', 'workflowId', `${workflowId} (${description.type}) has no approval step: only deploy and release runs can be ${verb}d; pass the id of one.`);
    }
    const request =
      decision.kind === 'approve'
        ? { decision: 'approve' as const, by: decision.payload.by, ...(decision.payload.note ? { note: decision.payload.note } : {}) }
        : { decision: 'reject' as const, by: decision.payload.by, reason: decision.payload.reason };
    let result;
    try {
      result = await client.withDeadline(Date.now() + 90_000, () => handle.executeUpdate(decideDeployUpdate, { args: [request] }));
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause instanceof Error ? err.cause.message : err.message;
        throw new InputError('InvalidArgument', 'workflowId', `${verb} refused: ${cause}`);
      }
      throw err;
    }
    const what = result.deploys ? ` ${result.deploys.image} → ${result.deploys.environment} (${result.deploys.versionLabel})` : '';
    console.log(`${workflowId}: ${result.decision} by ${result.by}${what}`);
    if (result.decision === 'approved') console.log(`  follow it: npm run status -- ${workflowId} --wait`);
    console.log(`  Temporal UI: ${workflowUiLink(settings, workflowId)}`);
    return 0;
  } finally {
    await close();
  }
}
