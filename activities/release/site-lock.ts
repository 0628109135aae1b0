import { getClient, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { nonRetryable, retryable } from '../failures.js';

/**
 * Called when the site's lock could not be taken: names the release that holds it, so the
 * refusal says which run to wait for or cancel.
 */
export async function refuseSecondRelease(input: { site: string; lockId: string }): Promise<never> {
  let holder = 'another release';
  try {
    const description = await getClient().workflow.getHandle(input.lockId).describe();
    const memo = description.memo as { holderWorkflowId?: string } | undefined;
    holder = memo?.holderWorkflowId ?? description.parentExecution?.workflowId ?? holder;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw retryable('TemporalUnavailable', `Could not read the site lock ${input.lockId}: ${String(err)}`);
    // Released between the refusal and this look: the refusal stands, the next start will pass.
  }
  throw nonRetryable(
    'ReleaseAlreadyRunning',
    `A release of "${input.site}" is already running (${holder}): wait for it to finish, or cancel it, before starting another.`,
    { running: [holder] },
  );
}

/** Whether the RunbookSite/RunbookStage search attributes exist on this namespace. */
export async function searchAttributesRegistered(): Promise<boolean> {
  try {
    const client = getClient();
    // A list filtered on the attribute fails at once when the server does not know it.
    const runs = client.workflow.list({ query: `RunbookSite = '__probe__'`, pageSize: 1 });
    for await (const run of runs) void run;
    return true;
  } catch (err) {
    log.info('RunbookSite search attribute unavailable; using memos only', { error: String(err) });
    return false;
  }
}
