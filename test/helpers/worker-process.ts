import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './sample-site.js';

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  output: () => string;
  /** Simulates a crash: no shutdown hooks, no cleanup. */
  crash: () => Promise<void>;
  /** SIGTERM and wait, as a person's Ctrl-C or a service manager would. */
  stop: () => Promise<number | null>;
}

/**
 * `npm run worker` as its own OS process, so a test can kill it the hard way; `argv` and `cwd`
 * start another build of it (the compiled one: `['dist/worker/main.js']`).
 */
export async function startWorkerProcess(opts: { address: string; taskQueue: string; env?: Record<string, string>; argv?: string[]; cwd?: string }): Promise<WorkerProcess> {
  const child = spawn(process.execPath, opts.argv ?? ['--import', 'tsx', path.join(repoRoot, 'worker', 'main.ts')], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, TEMPORAL_ADDRESS: opts.address, TEMPORAL_TASK_QUEUE: opts.taskQueue, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    // Bundling the workflows takes a minute on a busy two-core machine.
    const timer = setTimeout(() => reject(new Error(`worker did not start within 180 s:\n${output}`)), 180_000);
    const check = (): void => {
      if (output.includes('worker ready')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} before it was ready:\n${output}`));
    });
  });
  return {
    child,
    pid: child.pid ?? -1,
    output: () => output,
    crash: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
