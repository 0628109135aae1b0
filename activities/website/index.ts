import type { AwsClientFactory } from '../aws/clients.js';
import { bind } from '../bind.js';
import { checkWebsiteTarget } from './check-website-target.js';
import { smokeCheckWebsite } from './smoke-check-website.js';

/** A website release's own activities: the preflight before compile and the smoke check of the page. */
export function createWebsiteActivities(deps: { aws: AwsClientFactory }) {
  return {
    checkWebsiteTarget: bind(deps.aws, checkWebsiteTarget),
    smokeCheckWebsite,
  };
}
