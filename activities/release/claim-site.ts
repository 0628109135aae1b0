import { getClient, log } from '@temporalio/activity';
import { nonRetryable } from '../failures.js';
import { currentWorkflowId } from '../run-dir.js';

export interface SiteClaim {
  /** Whether the RunbookSite/RunbookStage search attributes exist on this namespace. */
  searchAttributes: boolean;
}

/**
 * Refuses a second release of the same site while one runs: two releases would fight over one
 * Beanstalk environment and one EFS directory. Runs started by the CLI also get a fixed
 * workflow id per site; this check covers runs started from the UI with any id.
 */
export async function claimSiteForRelease(input: { site: string }): Promise<SiteClaim> {
  const client = getClient();
  const self = currentWorkflowId();
  let searchAttributes = true;
  const others: string[] = [];
  const running = `WorkflowType = 'releaseWorkflow' AND ExecutionStatus = 'Running'`;
  try {
    for await (const run of client.workflow.list({ query: `${running} AND RunbookSite = '${input.site}'` })) {
      if (run.workflowId !== self) others.push(run.workflowId);
    }
  } catch (err) {
    // Without the search attribute (a server nobody registered it on), fall back to the memo.
    log.info('RunbookSite search attribute unavailable; checking memos instead', { error: String(err) });
    searchAttributes = false;
    for await (const run of client.workflow.list({ query: running })) {
      if (run.workflowId !== self && run.memo?.site === input.site) others.push(run.workflowId);
    }
  }
  if (others.length > 0) {
    throw nonRetryable(
      'ReleaseAlreadyRunning',
      `A release of "${input.site}" is already running (${others.join(', ')}): wait for it to finish, or cancel it, before starting another.`,
      { running: others },
    );
  }
  return { searchAttributes };
}
