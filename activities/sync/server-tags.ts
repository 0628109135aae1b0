import type { Tag } from '@aws-sdk/client-transfer';

/** Tag keys that mark a Transfer server as the runbook's and name the run that owns it. */
export const TagKeys = {
  workflowId: 'runbook:workflowId',
  runId: 'runbook:runId',
  site: 'runbook:site',
  createdBy: 'runbook:createdBy',
  createdAt: 'runbook:createdAt',
} as const;

export const CREATED_BY = 'release-runbook';

/** The workflow run a server belongs to; its tags say so, so any retry or janitor can find it. */
export interface ServerOwner {
  workflowId: string;
  runId: string;
  site: string;
}

export function ownerTags(owner: ServerOwner, createdAt: Date): Tag[] {
  return [
    { Key: TagKeys.workflowId, Value: owner.workflowId },
    { Key: TagKeys.runId, Value: owner.runId },
    { Key: TagKeys.site, Value: owner.site },
    { Key: TagKeys.createdBy, Value: CREATED_BY },
    { Key: TagKeys.createdAt, Value: createdAt.toISOString() },
    // What a person sees in the console's server list.
    { Key: 'Name', Value: `release-runbook ${owner.site} ${owner.workflowId}`.slice(0, 256) },
  ];
}

export function tagMap(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}
