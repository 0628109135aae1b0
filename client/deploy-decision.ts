import { InputError } from '../config/errors.js';
import { workflowUiLink } from '../worker/settings.js';
import { approveDeploySignal, rejectDeploySignal, type ApprovalView, type ApproveDeploy, type RejectDeploy } from '../workflows/deploy-status.js';
import { connect } from './connect.js';
import { describeWorkflow } from './describe-workflow.js';
import { readStatus, type StatusView } from './progress-view.js';

export type Decision = { kind: 'approve'; payload: ApproveDeploy } | { kind: 'reject'; payload: RejectDeploy };

/** Who is deciding: --by, else the login name, which is what a person would type anyway. */
export function defaultDecider(): string {
  return process.env.USER || process.env.USERNAME || process.env.LOGNAME || 'unknown';
}

/**
 * Sends approveDeploy/rejectDeploy, but only to a run that is waiting for it (a signal to a run
 * that is not would be ignored by the workflow), then confirms the run took the decision.
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
    const status = await readStatus(handle, client);
    if (!status) {
      console.error(`error: no worker answered ${workflowId}'s status query, so whether it waits for approval is unknown: start one (npm run worker) and try again.`);
      return 1;
    }
    const approval = approvalOf(status);
    if (!approval) {
      throw new InputError('InvalidArgument', 'workflowId', `${workflowId} (${description.type}) has no approval step: only deploy and release runs can be ${verb}d; pass the id of one.`);
    }
    if (!approval.waiting) {
      const decided = approval.decision ? `; it was already ${approval.decision}${approval.by ? ` by ${approval.by}` : ''}` : '';
      throw new InputError('InvalidArgument', 'workflowId', `${workflowId} is not waiting for approval (stage: ${status.stage}${decided}): ${verb} it once it waits; next: ${status.nextAction ?? 'see npm run status'}`);
    }
    if (decision.kind === 'approve') await handle.signal(approveDeploySignal, decision.payload);
    else await handle.signal(rejectDeploySignal, decision.payload);

    // The workflow may have moved on (its approval timed out) between the query and the signal.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const after = await readStatus(handle, client);
      const view = after && approvalOf(after);
      if (view && !view.waiting) {
        const expected = decision.kind === 'approve' ? 'approved' : 'rejected';
        if (view.decision === expected && view.by === decision.payload.by) {
          const what = view.deploys ? ` ${view.deploys.image} → ${view.deploys.environment} (${view.deploys.versionLabel})` : '';
          console.log(`${workflowId}: ${expected} by ${view.by}${what}`);
          if (expected === 'approved') console.log(`  follow it: npm run status -- ${workflowId} --wait`);
          console.log(`  Temporal UI: ${workflowUiLink(settings, workflowId)}`);
          return 0;
        }
        console.error(`error: ${workflowId} did not take the ${verb}: its approval ended as "${view.decision ?? 'unknown'}"${view.by ? ` by ${view.by}` : ''}.`);
        return 1;
      }
      if (Date.now() > deadline) {
        console.error(`error: ${workflowId} has not acknowledged the ${verb} within 15 s (is its worker running?). Check: npm run status -- ${workflowId}`);
        return 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    await close();
  }
}

function approvalOf(status: StatusView): ApprovalView | undefined {
  const approval = status.approval as ApprovalView | undefined;
  return approval && typeof approval === 'object' && typeof approval.waiting === 'boolean' ? approval : undefined;
}
