import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './errors.js';
import { summarizeIssues } from './format-issue.js';
import { runbookConfigSchema, type RunbookConfig } from './schema.js';

/** The config with every path made absolute, so activities never depend on the worker's cwd. */
export type ResolvedConfig = RunbookConfig & {
  configPath: string;
  compile: RunbookConfig['compile'] & { outputDir: string };
};

export function defaultConfigPath(): string {
  return path.resolve(process.env.RUNBOOK_CONFIG ?? 'runbook.config.json');
}

export async function loadConfig(configPath: string = defaultConfigPath()): Promise<ResolvedConfig> {
  const absolute = path.resolve(configPath);
  const shown = displayPath(absolute);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      'InvalidConfig',
      'config',
      code === 'ENOENT'
        ? `Config file ${shown} does not exist: pass --config FILE or set RUNBOOK_CONFIG to the site's runbook.config.json.`
        : `Config file ${shown} cannot be read (${code ?? String(err)}): check its permissions.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError('InvalidConfig', 'config', `Config file ${shown} is not valid JSON (${(err as Error).message}): fix the syntax.`);
  }
  return parseConfig(raw, absolute);
}

export function parseConfig(raw: unknown, configPath: string): ResolvedConfig {
  const shown = displayPath(configPath);
  const parsed = runbookConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const { field, message } = summarizeIssues(parsed.error, `Config file ${shown}`);
    throw new InputError('InvalidConfig', field, message);
  }
  const config = parsed.data;
  const siteDir = path.resolve(path.dirname(configPath), config.siteDir);
  const inSite = (p: string): string => path.resolve(siteDir, p);
  return {
    ...config,
    configPath,
    siteDir,
    stateDir: inSite(config.stateDir),
    compile: { ...config.compile, outputDir: inSite(config.compile.outputDir) },
    data: config.data && { ...config.data, localDir: inSite(config.data.localDir) },
    image: config.image && { ...config.image, context: inSite(config.image.context) },
  };
}

function displayPath(absolute: string): string {
  const relative = path.relative(process.cwd(), absolute);
  return relative && !relative.startsWith('..') ? relative : absolute;
}
