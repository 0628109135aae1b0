import { createHash } from 'node:crypto';
import { DeleteSshPublicKeyCommand, DescribeServerCommand, ImportSshPublicKeyCommand } from '@aws-sdk/client-transfer';
import { log } from '@temporalio/activity';
import ssh2 from 'ssh2';
import type { FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable, retryable } from '../failures.js';
import { isNotFound, wrapAwsError } from './aws-errors.js';
import type { SftpLogin } from './sync-target.js';
import { makeUploadKey } from './upload-key.js';

/** The SFTP calls the sync uses, as promises. */
export interface Sftp {
  stat(path: string): Promise<Stats>;
  readdir(path: string): Promise<FileEntryWithStats[]>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  open(path: string, flags: 'r' | 'w'): Promise<Buffer>;
  write(handle: Buffer, data: Buffer, position: number): Promise<void>;
  read(handle: Buffer, buffer: Buffer, position: number): Promise<number>;
  futimes(handle: Buffer, atime: number, mtime: number): Promise<void>;
  close(handle: Buffer): Promise<void>;
  /** Set once the connection is gone (dropped, or ended by us). */
  readonly lost: string | undefined;
  /** Ends the connection; pending calls fail. */
  end(): void;
}

/** Where to connect: the server's own host on AWS, or the sim's single endpoint. */
export function sftpAddress(login: SftpLogin): { host: string; port: number; username: string } {
  const { target, serverId, userName } = login;
  if (target.sftpEndpoint) {
    const [host = '127.0.0.1', port = '22'] = target.sftpEndpoint.split(':');
    // The sim serves every server on one port; "<serverId>/<user>" picks the server.
    return { host, port: Number(port), username: `${serverId}/${userName}` };
  }
  return { host: `${serverId}.server.transfer.${target.region}.amazonaws.com`, port: 22, username: userName };
}

/** Transfer's HostKeyFingerprint format: "SHA256:" + unpadded base64 of the key blob's hash. */
function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Runs `use` with an SFTP session authenticated by a key pair made here: the private key lives
 * only in this closure's memory, the public key is imported for the duration and deleted after,
 * whatever happens. Neither is ever returned, logged or written to disk.
 */
export async function withSftpSession<T>(aws: AwsClientFactory, login: SftpLogin, use: (sftp: Sftp) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const { transfer } = aws(login.target);
  const pair = makeUploadKey();
  let keyId: string | undefined;
  let hostFingerprint: string | undefined;
  try {
    const { Server } = await transfer.send(new DescribeServerCommand({ ServerId: login.serverId }));
    hostFingerprint = Server?.HostKeyFingerprint;
    ({ SshPublicKeyId: keyId } = await transfer.send(
      new ImportSshPublicKeyCommand({ ServerId: login.serverId, UserName: login.userName, SshPublicKeyBody: pair.public }),
    ));
  } catch (err) {
    throw wrapAwsError(err, 'importing the upload key');
  }
  try {
    const sftp = await connect(login, pair.private, hostFingerprint, signal);
    try {
      return await use(sftp);
    } finally {
      sftp.end();
    }
  } finally {
    if (keyId) {
      await transfer.send(new DeleteSshPublicKeyCommand({ ServerId: login.serverId, UserName: login.userName, SshPublicKeyId: keyId })).catch((err: unknown) => {
        // The user (and with it the key) goes at teardown anyway; never hide the real error.
        if (!isNotFound(err)) log.warn('could not delete the upload key; teardown removes it with the user', { error: String(err) });
      });
    }
  }
}

function connect(login: SftpLogin, privateKey: string, hostFingerprint: string | undefined, signal?: AbortSignal): Promise<Sftp> {
  const address = sftpAddress(login);
  const client = new ssh2.Client();
  let lost: string | undefined;
  return new Promise<Sftp>((resolve, reject) => {
    const fail = (err: Error): void => {
      lost ??= err.message;
      // The server is ONLINE and the key was just imported: a refused login is the user's role
      // (Transfer could not assume it), and retrying would only keep the server billing.
      if ((err as { level?: string }).level === 'client-authentication') {
        reject(nonRetryable(
          'SftpLoginRefused',
          `Transfer server ${login.serverId} refused the SFTP login of user "${login.userName}" while ONLINE with its key in place: Transfer could not assume transfer.userRole ` +
            `(check that it trusts transfer.amazonaws.com and allows EFS ClientMount/ClientWrite); the sync deletes the server now instead of retrying.`,
          { serverId: login.serverId, userName: login.userName },
        ));
        return;
      }
      reject(retryable('SftpConnectionLost', `SFTP connection to ${address.host}:${address.port} failed: ${err.message}`));
    };
    client.once('error', fail);
    const pending = new Set<(err: Error) => void>();
    // ssh2 does not always fail requests in flight when the socket dies; without this an
    // upload would wait forever while the activity's heartbeat ticker kept it looking alive.
    client.on('close', () => {
      lost ??= 'connection closed';
      const err = new Error(`SFTP connection lost (${lost})`);
      for (const rejectCall of pending) rejectCall(err);
      pending.clear();
    });
    const onAbort = (): void => {
      client.end();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    client.once('ready', () => {
      client.sftp((err, wrapper) => {
        if (err) {
          fail(err);
          return;
        }
        client.off('error', fail);
        // Later socket errors surface through the pending calls; keep them from crashing the worker.
        client.on('error', (e: Error) => {
          lost ??= e.message;
        });
        wrapper.on('error', () => undefined);
        resolve(promisified(wrapper, pending, () => lost, () => {
          lost ??= 'ended';
          signal?.removeEventListener('abort', onAbort);
          client.end();
        }));
      });
    });
    client.connect({
      host: address.host,
      port: address.port,
      username: address.username,
      privateKey,
      readyTimeout: 20_000,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        if (!hostFingerprint) return true;
        const ok = fingerprint(key) === hostFingerprint.replace(/=+$/, '');
        if (!ok) log.error('SFTP host key does not match the server\'s HostKeyFingerprint', { expected: hostFingerprint, got: fingerprint(key) });
        return ok;
      },
    });
  });
}

function promisified(w: SFTPWrapper, pending: Set<(err: Error) => void>, lost: () => string | undefined, end: () => void): Sftp {
  const call = <R>(fn: (cb: (err: Error | undefined | null, result?: R) => void) => void): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      const gone = lost();
      if (gone) {
        reject(new Error(`SFTP connection lost (${gone})`));
        return;
      }
      pending.add(reject);
      try {
        fn((err, result) => {
          pending.delete(reject);
          if (err) reject(err);
          else resolve(result as R);
        });
      } catch (err) {
        pending.delete(reject);
        reject(err as Error);
      }
    });
  return {
    stat: (p) => call<Stats>((cb) => w.stat(p, cb)),
    readdir: (p) => call<FileEntryWithStats[]>((cb) => w.readdir(p, cb)),
    mkdir: (p) => call<void>((cb) => w.mkdir(p, cb)),
    rmdir: (p) => call<void>((cb) => w.rmdir(p, cb)),
    unlink: (p) => call<void>((cb) => w.unlink(p, cb)),
    rename: (from, to) => call<void>((cb) => w.rename(from, to, cb)),
    open: (p, flags) => call<Buffer>((cb) => w.open(p, flags, cb)),
    write: (h, data, position) => call<void>((cb) => w.write(h, data, 0, data.length, position, cb)),
    read: (h, buffer, position) => call<number>((cb) => w.read(h, buffer, 0, buffer.length, position, (err, bytesRead) => cb(err, bytesRead))),
    futimes: (h, atime, mtime) => call<void>((cb) => w.futimes(h, atime, mtime, cb)),
    close: (h) => call<void>((cb) => w.close(h, cb)),
    get lost() {
      return lost();
    },
    end,
  };
}
