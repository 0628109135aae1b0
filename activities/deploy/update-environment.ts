import { UpdateEnvironmentCommand } from '@aws-sdk/client-elastic-beanstalk';
import { activityInfo, log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable, retryable } from '../failures.js';
import { rethrowAws } from '../aws/errors.js';
import type { DeploySite, EnvironmentSnapshot } from './deploy-config.js';
import { waitUntilReady } from './environment-ready.js';
import { currentSettings, desiredSettings, planSettings, type SettingsChange, type SettingsPlan } from './environment-settings.js';

export interface UpdateEnvironmentInput {
  site: DeploySite;
  versionLabel: string;
  /** Epoch ms after which waiting for Ready is given up. */
  deadlineMs: number;
  /**
   * The settings change a person approved (names only): the env settings from the config are
   * applied in the same UpdateEnvironment as the version. Absent for a rollback, which only
   * moves the version back.
   */
  settings?: SettingsChange;
}

export interface EnvironmentUpdate {
  /** Epoch ms just before the request: events from here on belong to this update. */
  requestedAt: number;
  /** What the environment ran before (null on a brand-new environment). */
  previousVersion: string | null;
  /** A retry found the update already under way (or done) and did not ask again. */
  alreadyRequested: boolean;
  environment: EnvironmentSnapshot;
  /** What this update changed in the settings (names only); null when it applied none. */
  settings: SettingsChange | null;
}

/** UpdateEnvironment to a version label, once the environment is Ready; idempotent on retry. */
export async function updateEnvironment(aws: AwsClientFactory, input: UpdateEnvironmentInput): Promise<EnvironmentUpdate> {
  const eb = aws(input.site.aws).beanstalk;
  const { application, environment } = input.site.beanstalk;
  // A retry whose first attempt got the request through sees its own update in flight.
  const snap = await waitUntilReady(eb, input.site.beanstalk, input.deadlineMs, (s) => s.status === 'Updating' && s.versionLabel === input.versionLabel);
  const requestedAt = Date.now() - 1000;
  // Ready on that version but Red is a failed deployment Beanstalk reverted (its label is the old
  // version's again): redeploying the version is what repairs it, so it is asked again.
  if (snap.versionLabel === input.versionLabel && (snap.status === 'Updating' || snap.health !== 'Red')) {
    log.info('environment already updating to (or running) this version; not asking again', { status: snap.status, attempt: activityInfo().attempt });
    return { requestedAt, previousVersion: null, alreadyRequested: true, environment: snap, settings: input.settings ?? null };
  }
  const plan = input.settings ? await settingsPlan(aws, input.site, input.settings) : null;
  try {
    await eb.send(
      new UpdateEnvironmentCommand({
        ApplicationName: application,
        EnvironmentName: environment,
        VersionLabel: input.versionLabel,
        ...(plan?.optionSettings.length ? { OptionSettings: plan.optionSettings } : {}),
        ...(plan?.optionsToRemove.length ? { OptionsToRemove: plan.optionsToRemove } : {}),
      }),
    );
  } catch (err) {
    // Someone else's update slipped in between our Ready and our request: wait for it again.
    if (/invalid state/i.test((err as Error).message)) throw retryable('EnvironmentBusy', `Environment ${environment} became busy before the update: ${(err as Error).message}`);
    rethrowAws(err, `UpdateEnvironment ${environment} → ${input.versionLabel}`);
  }
  log.info('environment update requested', { environment, versionLabel: input.versionLabel, previousVersion: snap.versionLabel, settings: plan?.change.summary ?? 'none applied' });
  return { requestedAt, previousVersion: snap.versionLabel, alreadyRequested: false, environment: snap, settings: plan?.change ?? null };
}

/**
 * The settings to send, computed again against the environment as it is now; a difference
 * from what was approved (the config or the environment changed at the gate) is refused.
 */
async function settingsPlan(aws: AwsClientFactory, site: DeploySite, approved: SettingsChange): Promise<SettingsPlan | null> {
  const desired = await desiredSettings(aws, site);
  if (!desired) return null;
  const plan = planSettings(await currentSettings(aws(site.aws).beanstalk, site.beanstalk.application, site.beanstalk.environment), desired);
  if (plan.change.summary !== approved.summary) {
    throw nonRetryable(
      'SettingsChangedSinceApproval',
      `The settings change of ${site.beanstalk.environment} is no longer the one approved ("${approved.summary}", now "${plan.change.summary}"): the config or the environment changed meanwhile; start a new deploy to approve the new difference.`,
    );
  }
  return plan;
}
