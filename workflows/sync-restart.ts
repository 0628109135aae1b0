import type { SiteConfig } from '../config/load.js';
import type { restartAfterSync } from './activity-options.js';
import type { SyncStatus } from './sync-status.js';

/**
 * After new data landed (on EFS or in S3), restarts the app servers of the environment the
 * preflight named so the site loads it, and waits until healthy. Returns the environment
 * restarted, or null when the site restarts nothing.
 */
export async function restartForNewData(
  acts: ReturnType<typeof restartAfterSync>,
  config: SiteConfig,
  environment: string | undefined,
  status: SyncStatus,
): Promise<string | null> {
  if (!environment || !config.beanstalk || !config.aws) return null;
  status.stage = 'restarting';
  status.nextAction = `wait: restarting the app servers of ${environment} so the site loads the new data`;
  const site = { site: config.site, siteDir: config.siteDir, stateDir: config.stateDir, aws: { region: config.aws.region, endpoint: config.aws.endpoint }, beanstalk: config.beanstalk };
  const deadlineMs = Date.now() + config.beanstalk.timeoutMinutes * 60_000;
  const request = await acts.restartAppServer({ site, deadlineMs });
  await acts.waitForHealthyEnvironment({ site, expectVersion: null, since: request.requestedAt, deadlineMs, purpose: 'restart' });
  return environment;
}
