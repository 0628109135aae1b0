import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunningSshd } from './sshd.js';

/** Wall time of a client run, and the CPU the client and the sshd serving it used. */
export interface ToolRun {
  seconds: number;
  /** User + system CPU of the client process tree (GNU time), seconds. */
  clientCpu: number;
  /** CPU of the sshd processes that served it (reaped children of the daemon), seconds. */
  serverCpu: number;
}

const TICK = 100; // USER_HZ on Linux

/** CPU (self + reaped children) of a process, seconds; sshd forks one process per connection. */
export function cpuOfTree(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After the comm field: utime is field 14, stime 15, cutime 16, cstime 17 (1-based) → 11..14 here.
    return fields.slice(11, 15).reduce((a, f) => a + Number(f), 0) / TICK;
  } catch {
    return NaN;
  }
}

/** Runs a client under GNU time; throws with its stderr when it fails. */
export async function timedClient(sshd: RunningSshd, cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ToolRun> {
  const timeFile = path.join(sshd.dir, `time-${process.pid}-${Date.now()}`);
  const serverBefore = cpuOfTree(sshd.pid);
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-q', '-f', '%U %S', '-o', timeFile, cmd, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`))));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // sshd reaps its per-connection children a moment after the client is gone.
  await new Promise((r) => setTimeout(r, 300));
  const serverCpu = cpuOfTree(sshd.pid) - serverBefore;
  const [user = NaN, sys = NaN] = (await readFile(timeFile, 'utf8')).trim().split(/\s+/).map(Number);
  await rm(timeFile, { force: true });
  return { seconds, clientCpu: user + sys, serverCpu };
}

const sshOptions = (sshd: RunningSshd): string[] => ['-i', sshd.clientKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes'];

/** OpenSSH's sftp in batch mode (`put -r`), as a person runs the manual runbook. */
export async function openSshPut(sshd: RunningSshd, port: number, batch: string, cwd: string): Promise<ToolRun> {
  const batchFile = path.join(sshd.dir, `batch-${process.pid}-${Date.now()}`);
  await writeFile(batchFile, batch);
  try {
    return await timedClient(sshd, 'sftp', ['-b', batchFile, '-P', String(port), ...sshOptions(sshd), 'root@127.0.0.1'], { cwd });
  } finally {
    await rm(batchFile, { force: true });
  }
}

/**
 * The flags each client is given: its best for this job, found by trying them on this link
 * (bench/RESULTS.md says which and why).
 */
export const LFTP_PARALLEL = 16;
export const RCLONE_FLAGS = ['--transfers', '16', '--checkers', '16', '--sftp-chunk-size', '255k', '--sftp-concurrency', '64', '--sftp-disable-hashcheck', '--sftp-shell-type', 'none'];

/** lftp `mirror -R --parallel` over sftp (it runs OpenSSH's ssh underneath, one per connection). */
export async function lftpMirror(sshd: RunningSshd, port: number, localDir: string, remoteDir: string, cwd: string): Promise<ToolRun> {
  const ssh = ['ssh', '-a', '-x', ...sshOptions(sshd)].join(' ');
  const script = [
    `set sftp:connect-program "${ssh}"`,
    `open -u root, -p ${port} sftp://127.0.0.1`,
    `mirror -R --parallel=${LFTP_PARALLEL} --no-perms ${localDir} ${remoteDir}`,
  ].join('; ');
  return timedClient(sshd, 'lftp', ['-c', script], { cwd });
}

/** rclone sync over sftp with its best flags for many files on a long link. */
export async function rcloneSync(sshd: RunningSshd, port: number, localDir: string, remoteDir: string, cwd: string): Promise<ToolRun> {
  const env = {
    ...process.env,
    RCLONE_CONFIG_BENCH_TYPE: 'sftp',
    RCLONE_CONFIG_BENCH_HOST: '127.0.0.1',
    RCLONE_CONFIG_BENCH_PORT: String(port),
    RCLONE_CONFIG_BENCH_USER: 'root',
    RCLONE_CONFIG_BENCH_KEY_FILE: sshd.clientKey,
  };
  return timedClient(sshd, 'rclone', ['sync', localDir, `bench:${remoteDir}`, ...RCLONE_FLAGS], { cwd, env });
}
