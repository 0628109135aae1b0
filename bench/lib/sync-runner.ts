import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleRss } from './rss.js';
import type { SyncChildInput, SyncChildProgress, SyncChildResult } from './sync-child.js';

const childScript = fileURLToPath(new URL('./sync-child.ts', import.meta.url));
export const repoRoot = path.resolve(path.dirname(childScript), '..', '..');

export interface SyncRun {
  /** Undefined when the run was killed. */
  result?: SyncChildResult;
  /** Sampled from outside, every 100 ms. */
  peakRss: number;
  hwm: number;
  killedAt?: Partial<SyncChildProgress['details']>;
  lastHeartbeat?: SyncChildProgress['details'];
}

/**
 * The upload engine in a child process. `killWhen` is checked on each heartbeat (one a second);
 * when it says so, the child gets SIGKILL, as a worker does when its machine goes down.
 */
export function runSyncChild(input: SyncChildInput, killWhen?: (hb: SyncChildProgress['details']) => boolean): Promise<SyncRun> {
  const child = spawn(process.execPath, [...(process.env.SYNC_CHILD_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.SYNC_CHILD_PROF] : []), '--import', 'tsx', childScript, JSON.stringify(input)], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const sampler = sampleRss(child.pid ?? -1);
  let stdout = '';
  let stderr = '';
  let lastHeartbeat: SyncChildProgress['details'] | undefined;
  let killedAt: SyncChildProgress['details'] | undefined;
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => { stderr += c.toString(); if (process.env.CPU_SPLIT) process.stderr.write(c); });
  child.on('message', (m: SyncChildProgress) => {
    if (m.type !== 'heartbeat') return;
    lastHeartbeat = m.details;
    if (!killedAt && killWhen?.(m.details)) {
      killedAt = m.details;
      child.kill('SIGKILL');
    }
  });
  return new Promise<SyncRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const mem = sampler.stop();
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (killedAt && signal === 'SIGKILL') {
        resolve({ peakRss: mem.peakRss, hwm: mem.hwm, killedAt, lastHeartbeat });
        return;
      }
      if (code !== 0 || !line) {
        reject(new Error(`the sync child exited with ${code ?? signal}:\n${stderr.slice(-3000)}`));
        return;
      }
      const result = JSON.parse(line.slice('RESULT '.length)) as SyncChildResult;
      resolve({ result, peakRss: mem.peakRss, hwm: Math.max(mem.hwm, result.hwm), lastHeartbeat });
    });
  });
}
