import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { RunningSim } from '../../sim/index.js';

// The Python tools the tests run (AWS's own CLIs, supervisord), installed by
// .ci/install-python-tools, one venv each. Their absence fails the test: CI always installs them.

/** `<venv>/bin/<name>` of the tools dir, or a sentence saying how to install it. */
function toolBin(venv: string, name: string): string {
  const dir = process.env.RUNBOOK_PYTHON_TOOLS ?? path.join(homedir(), '.cache', 'release-runbook', 'python-tools');
  const bin = path.join(dir, venv, 'bin', name);
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: run .ci/install-python-tools (it installs the pinned awscli, awsebcli and supervisor there; RUNBOOK_PYTHON_TOOLS points elsewhere).`);
  }
  return bin;
}

export const awsCli = (): string => toolBin('awscli', 'aws');
export const ebCli = (): string => toolBin('awsebcli', 'eb');
export const supervisord = (): string => toolBin('supervisor', 'supervisord');
export const supervisorctl = (): string => toolBin('supervisor', 'supervisorctl');

/** botocore's service models (the JSON the SDKs are generated from), from the awsebcli venv. */
export function botocoreDataDir(): string {
  const lib = path.join(path.dirname(path.dirname(ebCli())), 'lib');
  const python = ['python3.11', 'python3.12', 'python3.13', 'python3.10'].find((p) => existsSync(path.join(lib, p, 'site-packages', 'botocore', 'data')));
  if (!python) throw new Error(`botocore's models are not under ${lib}/python3.*/site-packages/botocore/data: re-run .ci/install-python-tools.`);
  return path.join(lib, python, 'site-packages', 'botocore', 'data');
}

/** The environment a person would set to point the tools at the sim, as a given identity. */
export function toolEnv(sim: RunningSim, region: string, credentials = { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_ENDPOINT_URL: sim.endpoint,
    // No shared config or credentials file of the machine's may leak in.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONWARNINGS: 'ignore',
  };
}

export interface ToolResult { code: number; stdout: string; stderr: string }

export function runTool(command: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env: opts.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a tool and fails with its output when it exits non-zero. */
export async function mustRun(command: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number }): Promise<string> {
  const result = await runTool(command, args, opts);
  if (result.code !== 0) {
    throw new Error(`${path.basename(command)} ${args.join(' ')} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}
