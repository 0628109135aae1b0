import { log } from '@temporalio/activity';
import { loadConfig, siteConfigView, type ResolvedConfig, type SiteConfig } from '../../config/load.js';
import { resolveConfigPath } from '../../config/sites.js';
import type { AwsClientFactory } from '../aws/clients.js';
import { fromInputError, nonRetryable } from '../failures.js';
import { openRunDir } from '../run-dir.js';
import { migrateLegacySiteState } from '../site-state.js';
import { checkReferences } from '../secrets/site-env.js';

export interface LoadSiteConfigInput {
  configPath?: string;
  site?: string;
  /** False only for runs that use no env values and must run regardless (the janitor). */
  checkReferences?: boolean;
}

/**
 * Reads the config of the input's site on this worker's machine (or the file the input names), validated, with absolute paths, and
 * proves every secret reference in it resolves. Returns it without env values: the activities
 * that need those read them again from the worker's disk.
 */
export async function loadSiteConfig(aws: AwsClientFactory, input: LoadSiteConfigInput): Promise<SiteConfig> {
  let config: ResolvedConfig;
  try {
    // A run names its site; this machine's site list (or RUNBOOK_CONFIG) says where its config is.
    config = await loadConfig(await resolveConfigPath(input));
  } catch (err) {
    throw fromInputError(err);
  }
  if (input.site && input.site !== config.site) {
    throw nonRetryable(
      'InvalidInput',
      `site "${input.site}" is not the site this worker's config serves ("${config.site}" in ${config.configPath}): ` +
        `pass "configPath" in the input or start the worker with RUNBOOK_CONFIG pointing at ${input.site}'s config.`,
      { field: 'site' },
    );
  }
  const references = input.checkReferences === false ? null : await checkReferences(aws, config);
  // Every workflow loads its config first: the moment to open its run dir and prune old ones
  // (after the checks, so a refused config leaves nothing behind).
  await migrateLegacySiteState(config.stateDir);
  await openRunDir(config.stateDir, config.keepRuns);
  log.info('loaded config', { site: config.site, configPath: config.configPath, secretReferences: references });
  return siteConfigView(config);
}
