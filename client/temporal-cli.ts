import { execFile, spawn } from 'node:child_process';
import { access, constants, mkdir, readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Newest CLI tag whose go.mod has no replace directive, so `go install` works from the module proxy. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
const GO_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export type Logger = (line: string) => void;

export function temporalCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'release-runbook');
}

function cachedBinaryPath(): string {
  return path.join(temporalCacheDir(), `temporal-cli-${TEMPORAL_CLI_VERSION.replace(/^v/, "")}`, 'temporal');
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && (await isExecutable(path.join(dir, name)))) return path.join(dir, name);
  }
  return undefined;
}

/**
 * The SDK's own download, for machines with internet. Offline it fails within a second; we give
 * it a bounded time so a hanging proxy cannot stall the build route behind it.
 */
async function trySdkDownload(log: Logger): Promise<string | undefined> {
  if (process.env.RUNBOOK_SKIP_SDK_DOWNLOAD === '1') return undefined;
  const downloadDir = path.join(temporalCacheDir(), 'sdk-download');
  await mkdir(downloadDir, { recursive: true });
  log(`temporal: trying the SDK's download into ${downloadDir}`);
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  try {
    const env = await withTimeout(
      TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'cached-download', downloadDir } } }),
      120_000,
    );
    await env.teardown();
  } catch (err) {
    log(`temporal: the SDK's download failed (${firstLine(err)})`);
    return undefined;
  }
  for (const entry of await readdir(downloadDir)) {
    const candidate = path.join(downloadDir, entry);
    if (entry.startsWith('temporal') && (await isExecutable(candidate))) return candidate;
  }
  return undefined;
}

async function goInstall(log: Logger): Promise<string | undefined> {
  const target = cachedBinaryPath();
  const gobin = path.dirname(target);
  await mkdir(gobin, { recursive: true });
  const go = (await onPath('go')) ?? ((await isExecutable('/usr/local/go/bin/go')) ? '/usr/local/go/bin/go' : undefined);
  if (!go) {
    log('temporal: no Go toolchain on PATH, cannot build the Temporal CLI');
    return undefined;
  }
  for (const sumdb of [undefined, 'off']) {
    log(
      `temporal: building ${GO_MODULE}@${TEMPORAL_CLI_VERSION} into ${gobin}` +
        (sumdb ? ' with GOSUMDB=off (the module go.sum still pins every dependency)' : '') +
        ' — the first build takes several minutes',
    );
    const env = { ...process.env, GOBIN: gobin, GOFLAGS: '-mod=mod', ...(sumdb ? { GOSUMDB: sumdb } : {}) };
    const code = await new Promise<number>((resolve) => {
      const child = spawn(go, ['install', `${GO_MODULE}@${TEMPORAL_CLI_VERSION}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const relay = (chunk: Buffer): void => {
        for (const line of chunk.toString().split('\n')) if (line.trim()) log(`go: ${line.trim()}`);
      };
      child.stdout.on('data', relay);
      child.stderr.on('data', relay);
      child.on('error', () => resolve(-1));
      child.on('close', (c) => resolve(c ?? -1));
    });
    if (code === 0 && (await isExecutable(target))) return target;
    log(`temporal: go install exited with ${code}`);
  }
  return undefined;
}

let resolved: Promise<string> | undefined;

/**
 * Finds a Temporal CLI binary in the order DESIGN.md gives: TEMPORAL_CLI_PATH, `temporal` on
 * PATH, the cached build, the SDK's download, then a build from the Go module proxy.
 * Throws when none works: tests must never pass without a real server.
 */
export function resolveTemporalCli(log: Logger = (line) => process.stderr.write(`${line}\n`)): Promise<string> {
  resolved ??= findTemporalCli(log);
  return resolved;
}

async function findTemporalCli(log: Logger): Promise<string> {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv) {
    if (await isExecutable(fromEnv)) return fromEnv;
    throw new Error(`TEMPORAL_CLI_PATH=${fromEnv} is not an executable file: fix the path or unset it.`);
  }
  const found = (await onPath('temporal')) ?? ((await isExecutable(cachedBinaryPath())) ? cachedBinaryPath() : undefined);
  if (found) return found;
  const built = (await trySdkDownload(log)) ?? (await goInstall(log));
  if (built) {
    log(`temporal: using ${built}`);
    return built;
  }
  throw new Error(
    `No Temporal CLI found: set TEMPORAL_CLI_PATH, put "temporal" on PATH, or install Go so that ` +
      `"go install ${GO_MODULE}@${TEMPORAL_CLI_VERSION}" can build it into ${path.dirname(cachedBinaryPath())}.`,
  );
}

export async function temporalCliVersion(binary: string): Promise<string> {
  const { stdout } = await promisify(execFile)(binary, ['--version']);
  return stdout.trim();
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0] ?? '';
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000}s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function run(): Promise<void> {
  const binary = await resolveTemporalCli();
  process.stderr.write(`${await temporalCliVersion(binary)}\n`);
  process.stdout.write(`${binary}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
