import { createAwsClientFactory, type AwsClientFactory } from './aws/clients.js';
import { createCompileActivities } from './compile/index.js';
import { createSyncActivities } from './sync/index.js';
import { createS3SyncActivities } from './s3-sync/index.js';
import { createWebsiteActivities } from './website/index.js';
import { createDeployActivities } from './deploy/index.js';
import { createReleaseActivities } from './release/index.js';
import { createNotifyActivities } from './notify/index.js';
import { createHostActivities } from './host/index.js';
import { runbookHostId } from '../worker/host.js';

/** What the activities need from the process that hosts them; tests pass their own. */
export interface ActivityDeps {
  /** Builds AWS SDK clients for a region (and the sim's endpoint when configured). */
  aws: AwsClientFactory;
  /** The id this worker polls its host queue under (worker/host.ts). */
  hostId: string;
  /** Base of the Temporal UI links in notifications; default TEMPORAL_UI_URL or the dev server's UI. */
  temporalUiUrl?: string;
}

export function defaultActivityDeps(): ActivityDeps {
  return { aws: createAwsClientFactory(), hostId: runbookHostId() };
}

/** Every activity the worker registers; tests build their own set with other deps. */
export function createActivities(deps: ActivityDeps = defaultActivityDeps()) {
  return {
    ...createCompileActivities(deps),
    ...createSyncActivities(deps),
    ...createS3SyncActivities(deps),
    ...createWebsiteActivities(deps),
    ...createDeployActivities(deps),
    ...createReleaseActivities(),
    ...createNotifyActivities(deps),
    ...createHostActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
