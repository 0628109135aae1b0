import { getClient, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { AwsClientFactory } from '../aws/clients.js';
import { rethrowAws } from '../aws/errors.js';
import { listRunbookServers } from './runbook-servers.js';
import { TagKeys } from './server-tags.js';
import type { SyncTarget } from './sync-target.js';

export interface RunbookServer {
  serverId: string;
  state: string;
  site: string | null;
  workflowId: string | null;
  runId: string | null;
  createdAt: string | null;
  ageHours: number | null;
  /** How the owning workflow run stands, asked of Temporal. */
  owner: 'running' | 'closed' | 'not-found' | 'unknown';
  ownerStatus: string | null;
}

/**
 * Every Transfer server the runbook created, with the state of the workflow run that owns it
 * (asked through the worker's Temporal client). The janitor workflow decides what to delete.
 */
export async function inspectRunbookServers(aws: AwsClientFactory, input: { target: SyncTarget }): Promise<RunbookServer[]> {
  let servers;
  try {
    servers = await listRunbookServers(aws(input.target).transfer);
  } catch (err) {
    rethrowAws(err, 'listing Transfer servers');
  }
  const client = getClient();
  const out: RunbookServer[] = [];
  for (const s of servers) {
    const workflowId = s.tags[TagKeys.workflowId] ?? null;
    const runId = s.tags[TagKeys.runId] ?? null;
    const createdAt = s.tags[TagKeys.createdAt] ?? null;
    const created = createdAt ? Date.parse(createdAt) : NaN;
    let owner: RunbookServer['owner'] = 'unknown';
    let ownerStatus: string | null = null;
    if (workflowId) {
      try {
        const description = await client.workflow.getHandle(workflowId, runId ?? undefined).describe();
        ownerStatus = description.status.name;
        owner = ownerStatus === 'RUNNING' ? 'running' : 'closed';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) owner = 'not-found';
        else log.warn('could not ask Temporal about the owning workflow', { workflowId, error: String(err) });
      }
    } else {
      owner = 'not-found';
    }
    out.push({
      serverId: s.serverId,
      state: s.state,
      site: s.tags[TagKeys.site] ?? null,
      workflowId,
      runId,
      createdAt,
      ageHours: Number.isNaN(created) ? null : (Date.now() - created) / 3_600_000,
      owner,
      ownerStatus,
    });
  }
  return out;
}
