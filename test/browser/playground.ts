import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../helpers/sample-site.js';

export interface Playground {
  ui: string;
  address: string;
  namespace: string;
  taskQueue: string;
  configPath: string;
  /** Everything the demo printed on stderr so far (progress, the serving banner). */
  log(): string;
  /** Ctrl-C, as a person ends it; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `npm run demo -- --serve` exactly as the README gives it (with test-sized data and free
 * ports): resolves once the demo release has ended and the playground says it serves.
 */
export async function startPlayground(demoDir: string, timeoutMs: number): Promise<Playground> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'client', 'demo.ts'), '--serve', '--json', '--port', '0', '--units', '3', '--unit-ms', '100'],
    { cwd: repoRoot, env: { ...process.env, RUNBOOK_DEMO_DIR: demoDir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const serving = await new Promise<Omit<Playground, 'log' | 'stop'>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the demo did not start serving within ${timeoutMs / 1000}s:\n${stderr.slice(-3000)}`)), timeoutMs);
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{"serving"')) continue;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { serving: Omit<Playground, 'log' | 'stop'> }).serving);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited (${code}) before serving:\n${stderr.slice(-3000)}`));
    });
  });
  return {
    ...serving,
    log: () => stderr,
    stop: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}
