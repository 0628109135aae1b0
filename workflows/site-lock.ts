import { condition, defineSignal, setHandler } from '@temporalio/workflow';

/**
 * One release per site, enforced by Temporal itself: a release starts this as a child with the
 * id `release-lock-<site>`, and the server refuses a second running workflow with that id, at
 * once and atomically, whatever id the releases themselves were started under (the UI's random
 * ones included). The release lets it go when it ends; if the release is terminated, the
 * parent-close policy terminates the lock with it.
 */
export const releaseSiteLockSignal = defineSignal('releaseSiteLock');

export interface SiteLockInput {
  site: string;
  holder: { workflowId: string; runId: string };
}

export function siteLockId(site: string): string {
  return `release-lock-${site}`;
}

export async function siteLockWorkflow(_input: SiteLockInput): Promise<void> {
  let released = false;
  setHandler(releaseSiteLockSignal, () => {
    released = true;
  });
  await condition(() => released);
}
