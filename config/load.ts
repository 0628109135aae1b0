import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from './errors.js';
import { summarizeIssues } from './format-issue.js';
import { runbookConfigSchema, type CompileStep, type FigureScript, type RunbookConfig } from './schema.js';

/** The config with every path made absolute, so activities never depend on the worker's cwd. */
export type ResolvedConfig = RunbookConfig & {
  configPath: string;
  compile: RunbookConfig['compile'] & { outputDir: string };
};

export type CompileStepView = Omit<CompileStep, 'env'>;
export type FigureView = Omit<FigureScript, 'env'>;
export type BeanstalkSettings = Omit<NonNullable<RunbookConfig['beanstalk']>, 'envVars'>;

/**
 * The config as workflows see it: without any env values or references. Those stay on the
 * worker's disk and are read again by the activity that needs them, so neither a value nor a
 * plain setting ever lands in workflow history.
 */
export type SiteConfig = Omit<ResolvedConfig, 'compile' | 'figures' | 'beanstalk'> & {
  compile: Omit<ResolvedConfig['compile'], 'steps'> & { steps: CompileStepView[] };
  figures: FigureView[];
  beanstalk?: BeanstalkSettings;
};

export function siteConfigView(config: ResolvedConfig): SiteConfig {
  const { compile, figures, beanstalk, ...rest } = config;
  const view: SiteConfig = {
    ...rest,
    compile: { ...compile, steps: compile.steps.map(({ env: _env, ...step }) => step) },
    figures: figures.map(({ env: _env, ...figure }) => figure),
  };
  if (beanstalk) {
    const { envVars: _envVars, ...settings } = beanstalk;
    view.beanstalk = settings;
  }
  return view;
}

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
  checkOutputDir(config.compile.outputDir, inSite(config.compile.outputDir), siteDir, inSite(config.stateDir), shown);
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

/**
 * A fresh compile moves the whole output dir aside (the `rm -rf data/compiled` of the manual
 * runbook, made undoable): an output dir that holds the site or the state dir would take them along.
 */
function checkOutputDir(raw: string, outputDir: string, siteDir: string, stateDir: string, shown: string): void {
  const within = (child: string, parent: string): boolean => child === parent || child.startsWith(parent.endsWith(path.sep) ? parent : `${parent}${path.sep}`);
  const holds = within(siteDir, outputDir) ? 'the site dir' : within(stateDir, outputDir) ? 'the state dir (stateDir)' : undefined;
  if (holds) {
    throw new InputError(
      'InvalidConfig',
      'compile.outputDir',
      `Config file ${shown}: compile.outputDir "${raw}" resolves to ${outputDir}, which holds ${holds} that a fresh compile would move aside with it: point it at a directory of its own, such as "data/compiled".`,
    );
  }
}

function displayPath(absolute: string): string {
  const relative = path.relative(process.cwd(), absolute);
  return relative && !relative.startsWith('..') ? relative : absolute;
}
