import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export const SSHD = '/usr/sbin/sshd';

/** Says how to install what the sync benchmark needs, or nothing when it is all there. */
export function missingOpenSsh(): string | undefined {
  const missing = [SSHD, '/usr/bin/sftp', '/usr/bin/ssh-keygen'].filter((p) => !existsSync(p));
  if (missing.length === 0) return undefined;
  return `missing ${missing.join(', ')}: install Debian's OpenSSH with \`apt-get update && apt-get install -y openssh-server openssh-client\` (not needed by npm test)`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface RunningSshd {
  port: number;
  dir: string;
  /** The chroot on disk: remote "/x" is `${chrootDir}/x`. */
  chrootDir: string;
  clientKey: string;
  /** Keys added here are accepted too (the upload keys our sync makes and imports). */
  extraKeysFile: string;
  /** "SHA256:<base64>", the format of Transfer's HostKeyFingerprint. */
  hostFingerprint: string;
  logFile: string;
  pid: number;
  /** Ciphers the sessions so far negotiated, from sshd's debug log. */
  ciphers(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Our own sshd on a free loopback port: its own config, host key and authorized keys in a temp
 * dir, key auth only, internal-sftp chrooted to a dir of its own (as Transfer roots a user at
 * the file system), run in the foreground (-D) logging to stderr (-e).
 */
export async function startSshd(parent: string): Promise<RunningSshd> {
  await mkdir(parent, { recursive: true });
  // ChrootDirectory wants every path component owned by root and not writable by others.
  const dir = await mkdtemp(path.join(parent, 'sshd-'));
  await chmod(dir, 0o755);
  const chrootDir = path.join(dir, 'root');
  await mkdir(chrootDir, { mode: 0o755 });
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }); // privilege separation dir
  const hostKey = path.join(dir, 'host_ed25519');
  const clientKey = path.join(dir, 'client_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', clientKey]);
  const authorized = path.join(dir, 'authorized_keys');
  const extraKeysFile = path.join(dir, 'authorized_keys_runbook');
  await writeFile(authorized, await readFile(`${clientKey}.pub`));
  await writeFile(extraKeysFile, '');
  const hostFingerprint = execFileSync('ssh-keygen', ['-lf', `${hostKey}.pub`], { encoding: 'utf8' }).split(' ')[1] ?? '';
  const port = await freePort();
  const config = path.join(dir, 'sshd_config');
  await writeFile(config, [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${path.join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${authorized} ${extraKeysFile}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'AllowUsers root',
    'UsePAM no',
    'StrictModes no',
    'MaxStartups 50',
    'Subsystem sftp internal-sftp',
    'ForceCommand internal-sftp',
    `ChrootDirectory ${chrootDir}`,
    'LogLevel DEBUG1',
    '',
  ].join('\n'));
  const logFile = path.join(dir, 'sshd.log');
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => void appendFile(logFile, chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitForPort(port, child);
  return {
    port,
    dir,
    chrootDir,
    clientKey,
    extraKeysFile,
    hostFingerprint,
    logFile,
    pid: child.pid ?? -1,
    ciphers: async () => {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      return [...new Set([...log.matchAll(/kex: client->server cipher: (\S+)/g)].map((m) => m[1]!))];
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on ${port} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** OpenSSH's sftp in batch mode, as a person runs the manual runbook; wall seconds. */
export async function openSshSftp(sshd: RunningSshd, batch: string, cwd: string): Promise<number> {
  const batchFile = path.join(sshd.dir, `batch-${process.pid}-${Date.now()}`);
  await writeFile(batchFile, batch);
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn('sftp', [
      '-b', batchFile, '-i', sshd.clientKey, '-P', String(sshd.port),
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'BatchMode=yes',
      'root@127.0.0.1',
    ], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sftp -b exited ${code}: ${err.slice(-2000)}`))));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await rm(batchFile, { force: true });
  return seconds;
}
