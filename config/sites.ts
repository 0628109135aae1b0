import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from './errors.js';
import { summarizeIssues } from './format-issue.js';
import { defaultConfigPath, loadConfig } from './load.js';

// Which sites a worker serves, and where each one's config lives on the worker's own machine.
// Schedules and workflow inputs name the site; only the worker turns that into a path, so a
// schedule made on a laptop runs on a server whose checkout lives elsewhere.

const SITE_NAME = /^[a-z0-9][a-z0-9-]*$/;

export const siteListSchema = z.strictObject({
  /** Site name → its runbook.config.json, absolute or relative to the site list file. */
  sites: z
    .record(z.string(), z.string().min(1, 'must be the path of the site\'s runbook.config.json'), {
      error: 'must be an object of site names to config paths, such as {"contact-tracing": "/site/runbook.config.json"}',
    })
    // Names are checked here rather than as record keys: zod words a bad key only "Invalid key in record".
    .superRefine((sites, ctx) => {
      for (const name of Object.keys(sites)) {
        if (!SITE_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'must be lower-case letters, digits and hyphens, such as "contact-tracing" (the site\'s name in its config)' });
      }
    })
    .refine((sites) => Object.keys(sites).length > 0, 'must name at least one site, such as {"contact-tracing": "/site/runbook.config.json"}'),
});

/** A site this worker serves, by name, with the absolute path of its config on this machine. */
export interface ServedSite {
  site: string;
  configPath: string;
}

/** `RUNBOOK_SITES`, the site list file, when the worker serves several sites. */
export function siteListPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env.RUNBOOK_SITES?.trim();
  return value ? path.resolve(value) : undefined;
}

export async function loadSiteList(file: string): Promise<ServedSite[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      'InvalidConfig',
      'RUNBOOK_SITES',
      code === 'ENOENT'
        ? `Site list ${file} (RUNBOOK_SITES) does not exist: write {"sites": {"<site>": "<path of its runbook.config.json>"}} there, or unset RUNBOOK_SITES to serve RUNBOOK_CONFIG's site alone.`
        : `Site list ${file} (RUNBOOK_SITES) cannot be read as JSON (${code ?? (err as Error).message}): fix it so it reads {"sites": {"<site>": "<config path>"}}.`,
    );
  }
  const parsed = siteListSchema.safeParse(raw);
  if (!parsed.success) {
    const { field, message } = summarizeIssues(parsed.error, `Site list ${file} (RUNBOOK_SITES)`);
    throw new InputError('InvalidConfig', field, message);
  }
  return Object.entries(parsed.data.sites).map(([site, configPath]) => ({ site, configPath: path.resolve(path.dirname(file), configPath) }));
}

/**
 * The sites this worker serves: the site list when RUNBOOK_SITES is set, else the one site of
 * RUNBOOK_CONFIG (none when that file does not exist: such a worker serves runs that name a configPath).
 */
export async function servedSites(env: NodeJS.ProcessEnv = process.env): Promise<ServedSite[]> {
  const list = siteListPath(env);
  if (list) return loadSiteList(list);
  const configPath = path.resolve(env.RUNBOOK_CONFIG || 'runbook.config.json');
  try {
    const config = await loadConfig(configPath);
    return [{ site: config.site, configPath }];
  } catch (err) {
    if (err instanceof InputError && err.field === 'config' && /does not exist/.test(err.message)) return [];
    throw err;
  }
}

/**
 * The config file a run uses on this machine: its own `configPath` when it names one, else its
 * site's entry in the site list, else RUNBOOK_CONFIG (whose site the loader then checks).
 */
export async function resolveConfigPath(input: { configPath?: string; site?: string }, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (input.configPath) return input.configPath;
  const list = siteListPath(env);
  if (!list) return defaultConfigPath();
  const sites = await loadSiteList(list);
  if (!input.site) {
    if (sites.length === 1) return (sites[0] as ServedSite).configPath;
    throw new InputError('InvalidInput', 'site', `This worker serves several sites (${sites.map((s) => s.site).join(', ')} in ${list}): name one in the input, such as {"site": "${sites[0]?.site ?? ''}"}.`);
  }
  const found = sites.find((s) => s.site === input.site);
  if (!found) {
    throw new InputError('InvalidInput', 'site', `site "${input.site}" is not served by this worker (its site list ${list} has ${sites.map((s) => s.site).join(', ')}): add it there and restart the worker, or start the run on a worker that serves it.`);
  }
  return found.configPath;
}
