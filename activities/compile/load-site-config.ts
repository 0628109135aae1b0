import { log } from '@temporalio/activity';
import { loadConfig, defaultConfigPath, type ResolvedConfig } from '../../config/load.js';
import { fromInputError, nonRetryable } from '../failures.js';
import { openRunDir } from '../run-dir.js';
import { migrateLegacySiteState } from '../site-state.js';

export interface LoadSiteConfigInput {
  configPath?: string;
  site?: string;
}

/** Reads the worker's config (or the file the input names), validated, with absolute paths. */
export async function loadSiteConfig(input: LoadSiteConfigInput): Promise<ResolvedConfig> {
  const file = input.configPath ?? defaultConfigPath();
  let config: ResolvedConfig;
  try {
    config = await loadConfig(file);
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
  // Every workflow loads its config first: the moment to open its run dir and prune old ones.
  await migrateLegacySiteState(config.stateDir);
  await openRunDir(config.stateDir, config.keepRuns);
  log.info('loaded config', { site: config.site, configPath: config.configPath });
  return config;
}
