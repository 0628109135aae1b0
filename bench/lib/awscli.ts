import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The AWS CLI release the S3 benchmark compares with: the one .ci/install-python-tools pins for the tests. */
export const AWSCLI_PIN = 'awscli==1.46.3';

/**
 * `aws` from the benchmark's own venv (under the cache dir, never the tests' tools), made from
 * PyPI on first use: a benchmark must not depend on what another tool left installed.
 */
export async function benchAwsCli(log: (line: string) => void): Promise<string> {
  const venv = path.join(process.env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'release-runbook', 'bench', 'awscli');
  const bin = path.join(venv, 'bin', 'aws');
  const stamp = path.join(venv, '.installed');
  if (existsSync(bin) && (await readFile(stamp, 'utf8').catch(() => '')) === AWSCLI_PIN) return bin;
  log(`installing ${AWSCLI_PIN} from PyPI into ${venv}`);
  await rm(venv, { recursive: true, force: true });
  await mkdir(path.dirname(venv), { recursive: true });
  await run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
  await run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', AWSCLI_PIN], { maxBuffer: 16 * 1024 * 1024 });
  await writeFile(stamp, AWSCLI_PIN);
  return bin;
}
