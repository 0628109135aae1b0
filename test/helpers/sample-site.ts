import { cp, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const sampleSiteDir = path.join(repoRoot, 'examples', 'sample-site');

export interface SampleSite {
  dir: string;
  configPath: string;
  auditLog: string;
  config: Record<string, unknown> & { compile: { steps: { env?: Record<string, string> }[] } };
}

/**
 * A private copy of the sample site in a temp dir, with its config tuned for a test (units,
 * unit duration, heartbeat timeout), so tests never write into the repo or into each other.
 */
export async function makeSampleSite(opts: {
  units?: number;
  unitMs?: number;
  heartbeatTimeoutSeconds?: number;
  figureMs?: number;
  edit?: (config: SampleSite['config']) => void;
} = {}): Promise<SampleSite> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runbook-site-'));
  await cp(sampleSiteDir, dir, { recursive: true, filter: (src) => !/[/\\](data|\.runbook)$/.test(src) });
  // The site's scripts import apache-arrow and run through tsx, from the repo's node_modules.
  await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  const auditLog = path.join(dir, 'audit.log');
  const config = JSON.parse(await readFile(path.join(dir, 'runbook.config.json'), 'utf8')) as SampleSite['config'];
  const sampleEnv = {
    SAMPLE_UNITS: String(opts.units ?? 4),
    SAMPLE_UNIT_MS: String(opts.unitMs ?? 50),
    SAMPLE_ROWS: '200',
    SAMPLE_AUDIT_LOG: auditLog,
  };
  for (const step of config.compile.steps) step.env = { ...step.env, ...sampleEnv };
  const compile = config.compile as Record<string, unknown>;
  compile.heartbeatTimeoutSeconds = opts.heartbeatTimeoutSeconds ?? 10;
  compile.killGraceSeconds = 2;
  compile.retryInitialSeconds = 1;
  for (const figure of config.figures as { env?: Record<string, string> }[]) {
    figure.env = { ...figure.env, SAMPLE_FIGURE_MS: String(opts.figureMs ?? 50) };
  }
  opts.edit?.(config);
  const configPath = path.join(dir, 'runbook.config.json');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  return { dir, configPath, auditLog, config };
}

/** Lines of the sample compile's audit log: `start|done <part> <unit> <pid>`. */
export async function readAudit(file: string): Promise<{ event: string; part: string; unit: number; pid: number }[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [event = '', part = '', unit = '0', pid = '0'] = line.split(' ');
      return { event, part, unit: Number(unit), pid: Number(pid) };
    });
}
