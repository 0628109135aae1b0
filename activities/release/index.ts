import { claimSiteForRelease } from './claim-site.js';

export function createReleaseActivities() {
  return { claimSiteForRelease };
}
