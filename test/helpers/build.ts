import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repoRoot } from './sample-site.js';

const run = promisify(execFile);

/**
 * `npm run build` in the repo, as the image's build stage runs it: the compiled worker in dist/
 * and its prebuilt workflow bundle. Tests that start the production worker build it themselves,
 * so a clean clone needs no step before the README's test command.
 */
export async function buildProductionWorker(): Promise<void> {
  await run('npm', ['run', '-s', 'build'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 }).catch((err: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`npm run build failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  });
}
