import { ListServersCommand, ListTagsForResourceCommand, type TransferClient } from '@aws-sdk/client-transfer';
import { heartbeat } from '@temporalio/activity';
import { isNotFound } from '../aws/errors.js';
import { CREATED_BY, TagKeys, tagMap } from './server-tags.js';

export interface TaggedServer {
  serverId: string;
  arn: string;
  state: string;
  tags: Record<string, string>;
}

/**
 * Every Transfer server in the region with its tags. ListServers has no tag filter, so each
 * server's tags are read one by one; a server deleted between the two calls is skipped.
 */
export async function listServersWithTags(transfer: TransferClient): Promise<TaggedServer[]> {
  const found: TaggedServer[] = [];
  let token: string | undefined;
  do {
    const page = await transfer.send(new ListServersCommand({ MaxResults: 1000, NextToken: token }));
    for (const server of page.Servers ?? []) {
      if (!server.ServerId || !server.Arn) continue;
      heartbeatIfActivity();
      try {
        found.push({ serverId: server.ServerId, arn: server.Arn, state: server.State ?? 'UNKNOWN', tags: await listTags(transfer, server.Arn) });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    token = page.NextToken;
  } while (token);
  return found;
}

async function listTags(transfer: TransferClient, arn: string): Promise<Record<string, string>> {
  const tags: Record<string, string> = {};
  let token: string | undefined;
  do {
    const page = await transfer.send(new ListTagsForResourceCommand({ Arn: arn, MaxResults: 1000, NextToken: token }));
    Object.assign(tags, tagMap(page.Tags));
    token = page.NextToken;
  } while (token);
  return tags;
}

/** Servers this runbook created (whoever owns them now). */
export async function listRunbookServers(transfer: TransferClient): Promise<TaggedServer[]> {
  return (await listServersWithTags(transfer)).filter((s) => s.tags[TagKeys.createdBy] === CREATED_BY);
}

/** Servers created for one workflow run: normally none or one. */
export async function listOwnedServers(transfer: TransferClient, owner: { workflowId: string; runId: string }): Promise<TaggedServer[]> {
  return (await listRunbookServers(transfer)).filter(
    (s) => s.tags[TagKeys.workflowId] === owner.workflowId && s.tags[TagKeys.runId] === owner.runId,
  );
}

function heartbeatIfActivity(): void {
  try {
    heartbeat();
  } catch {
    // Called outside an activity (a script): nothing to report to.
  }
}
