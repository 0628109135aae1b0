import { claimSiteForRelease } from './claim-site.js';
import { refuseSecondRelease, searchAttributesRegistered } from './site-lock.js';

export function createReleaseActivities() {
  // claimSiteForRelease stays registered for releases started before the site lock existed.
  return { claimSiteForRelease, refuseSecondRelease, searchAttributesRegistered };
}
