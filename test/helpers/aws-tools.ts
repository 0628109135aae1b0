import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { RunningSim } from '../../sim/index.js';

// AWS's own command-line tools, installed by .ci/install-aws-tools into two venvs (awscli and
// awsebcli pin different botocore releases). Their absence fails the test: CI always installs them.

export function awsToolsDir(): string {
  const dir = process.env.RUNBOOK_AWS_TOOLS ?? path.join(homedir(), '.cache', 'release-runbook', 'aws-tools');
  for (const bin of ['awscli/bin/aws', 'awsebcli/bin/eb']) {
    if (!existsSync(path.join(dir, bin))) {
      throw new Error(`${path.join(dir, bin)} is missing: run .ci/install-aws-tools (it installs the pinned awscli and awsebcli there; RUNBOOK_AWS_TOOLS points elsewhere).`);
    }
  }
  return dir;
}

export const awsCli = (): string => path.join(awsToolsDir(), 'awscli', 'bin', 'aws');
export const ebCli = (): string => path.join(awsToolsDir(), 'awsebcli', 'bin', 'eb');

/** botocore's service models (the JSON the SDKs are generated from), from the awsebcli venv. */
export function botocoreDataDir(): string {
  const lib = path.join(awsToolsDir(), 'awsebcli', 'lib');
  const python = ['python3.11', 'python3.12', 'python3.13', 'python3.10'].find((p) => existsSync(path.join(lib, p, 'site-packages', 'botocore', 'data')));
  if (!python) throw new Error(`botocore's models are not under ${lib}/python3.*/site-packages/botocore/data: re-run .ci/install-aws-tools.`);
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
