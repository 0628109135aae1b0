import { createHash } from 'node:crypto';
import net from 'node:net';
import { DeleteSshPublicKeyCommand, DescribeServerCommand, ImportSshPublicKeyCommand } from '@aws-sdk/client-transfer';
import { log } from '@temporalio/activity';
import ssh2 from 'ssh2';
import type { AuthenticationType, FileEntryWithStats, OpenMode, SFTPWrapper, Stats } from 'ssh2';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable, retryable } from '../failures.js';
import { isNotFound, rethrowAws } from '../aws/errors.js';
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
  /** 'w' creates or truncates; a number is SFTP pflags (see OPEN_WRITE). */
  open(path: string, flags: 'r' | 'w' | number): Promise<Buffer>;
  write(handle: Buffer, data: Buffer, position: number): Promise<void>;
  read(handle: Buffer, buffer: Buffer, position: number): Promise<number>;
  futimes(handle: Buffer, atime: number, mtime: number): Promise<void>;
  utimes(path: string, atime: number, mtime: number): Promise<void>;
  /**
   * Renames over an existing target in one request where the server can (OpenSSH's
   * posix-rename extension; Transfer's plain rename already replaces), else removes it first.
   */
  renameOver(from: string, to: string): Promise<void>;
  close(handle: Buffer): Promise<void>;
  /** The largest WRITE / READ payload the server accepts (its limits@openssh.com, else 32 KiB-ish). */
  readonly maxWriteLen: number;
  readonly maxReadLen: number;
  /**
   * The quickest answer any request on this connection has had so far, ms (Infinity before the
   * first): the link's round trip plus the server's least work. Tells a near link from a long one.
   */
  readonly fastestReplyMs: number;
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

/** SFTP pflags for writing into an existing temp file without truncating it. */
export const OPEN_WRITE = 0x00000002 | 0x00000008; // WRITE | CREAT
/** As OPEN_WRITE, and readable: a resumed temp's unacknowledged tail is read back before writing on. */
export const OPEN_RESUME = 0x00000001 | OPEN_WRITE; // READ | WRITE | CREAT

/** How many SSH connections, and SFTP sessions (channels) on each, one sync opens. */
export interface PoolShape {
  connections: number;
  sessionsPerConnection: number;
  /**
   * Open one connection now and the others only once this resolves: a sync that will send a few
   * files need not pay for (or make the server fork for) handshakes it has no use for.
   */
  restWhen?: Promise<void>;
}

/**
 * Several SFTP sessions over several SSH connections, all logged in with one upload key. The pool
 * is handed over as soon as its first connection is up: the listing and a small upload need not
 * wait for the slowest handshake (on loopback, four handshakes in parallel take 1.5–2× one). The
 * others join as they come up (see PoolShape.restWhen for when they are opened).
 */
export interface SftpPool {
  /** The sessions of every connection up so far; grows as the others join. */
  sessions: Sftp[];
  /** Calls `listener` with each session that joins from now on; returns the unsubscribe. */
  onJoin(listener: (session: Sftp) => void): () => void;
  /** Set once any connection that was up is gone: the attempt stops and the retry continues. */
  readonly lost: string | undefined;
  end(): void;
}

/**
 * Runs `use` with an SFTP session authenticated by a key pair made here: the private key lives
 * only in this closure's memory, the public key is imported for the duration and deleted after,
 * whatever happens. Neither is ever returned, logged or written to disk.
 */
export async function withSftpSession<T>(aws: AwsClientFactory, login: SftpLogin, use: (sftp: Sftp) => Promise<T>, signal?: AbortSignal): Promise<T> {
  return withSftpPool(aws, login, { connections: 1, sessionsPerConnection: 1 }, (pool) => use(pool.sessions[0]!), signal);
}

/** As withSftpSession, with `shape.connections` SSH connections of `shape.sessionsPerConnection` sessions each. */
export async function withSftpPool<T>(aws: AwsClientFactory, login: SftpLogin, shape: PoolShape, use: (pool: SftpPool) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const { transfer } = aws(login.target);
  const pair = makeUploadKey();
  let keyId: string | undefined;
  // The connections start while Transfer answers (two API calls, a round trip to AWS each): the
  // host key is checked against the fingerprint once it is known, and the login waits for the key.
  const described = transfer.send(new DescribeServerCommand({ ServerId: login.serverId })).then(({ Server }) => Server?.HostKeyFingerprint);
  const imported = transfer
    .send(new ImportSshPublicKeyCommand({ ServerId: login.serverId, UserName: login.userName, SshPublicKeyBody: pair.public }))
    .then(({ SshPublicKeyId }) => void (keyId = SshPublicKeyId));
  const access = Promise.all([described, imported]).then(
    () => undefined,
    (err: unknown) => rethrowAws(err, 'importing the upload key'),
  );
  access.catch(() => undefined); // awaited below, beside the first connection
  try {
    const pool = openPool(login, pair.private, { hostFingerprint: described, keyImported: imported }, shape, signal);
    try {
      // A refused API call is the error to report: the connections wait on it and are ended here.
      await Promise.all([access, pool.firstUp]);
      return await use(pool);
    } finally {
      pool.end();
    }
  } finally {
    await imported.catch(() => undefined);
    if (keyId) {
      await transfer.send(new DeleteSshPublicKeyCommand({ ServerId: login.serverId, UserName: login.userName, SshPublicKeyId: keyId })).catch((err: unknown) => {
        // The user (and with it the key) goes at teardown anyway; never hide the real error.
        if (!isNotFound(err)) log.warn('could not delete the upload key; teardown removes it with the user', { error: String(err) });
      });
    }
  }
}

/** What a connection waits on from Transfer: the host key's fingerprint, and the upload key in place. */
interface ServerAccess {
  hostFingerprint: Promise<string | undefined>;
  keyImported: Promise<void>;
}

/**
 * Starts the connections (one only until `shape.restWhen`, if given); `firstUp` settles once one
 * is ready (or fails with the first failure once all started have failed). A later connection
 * that fails is left out with a warning: the upload goes on over the others, as it would have
 * with a smaller `data.parallelism`.
 */
function openPool(login: SftpLogin, privateKey: string, access: ServerAccess, shape: PoolShape, signal?: AbortSignal): SftpPool & { firstUp: Promise<void> } {
  const ending = new AbortController();
  const connectSignal = signal ? AbortSignal.any([signal, ending.signal]) : ending.signal;
  const connections: Connection[] = [];
  const sessions: Sftp[] = [];
  const listeners = new Set<(session: Sftp) => void>();
  const count = Math.max(1, shape.connections);
  let failed = 0;
  let firstFailure: unknown;
  const firstUp = new Promise<void>((resolve, reject) => {
    const open = (): void => {
      connect(login, privateKey, access, Math.max(1, shape.sessionsPerConnection), connectSignal).then(
        (c) => {
          if (ending.signal.aborted) {
            c.end();
            return;
          }
          connections.push(c);
          for (const s of c.sessions) {
            sessions.push(s);
            for (const l of listeners) l(s);
          }
          resolve();
        },
        (err: unknown) => {
          failed += 1;
          firstFailure ??= err;
          if (connections.length > 0 && !ending.signal.aborted) log.warn('an SFTP connection of the pool could not be opened; the upload goes on over the others', { error: String(err) });
          if (failed === started) reject(firstFailure);
        },
      );
    };
    let started = shape.restWhen ? 1 : count;
    for (let i = 0; i < started; i++) open();
    shape.restWhen?.then(() => {
      if (ending.signal.aborted) return;
      for (; started < count; started++) open();
    }, () => undefined);
  });
  return {
    firstUp,
    sessions,
    onJoin: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get lost() {
      return connections.find((c) => c.lost())?.lost();
    },
    end: () => {
      ending.abort();
      for (const c of connections) c.end();
    },
  };
}

/**
 * AES-GCM first: with AES-NI it is the cheapest cipher per byte, and ssh2's native binding
 * (approved in package.json) does it in C++. Without cpu-features ssh2 would lead with
 * chacha20-poly1305, about a third slower here (bench/RESULTS.md, ceiling section).
 */
const CIPHERS = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'] as const;

/**
 * A TCP socket that gathers the writes of one tick into one writev. ssh2 writes every SSH
 * packet (32 KiB of data on OpenSSH) with its own socket write: one syscall per packet was the
 * largest CPU cost of an upload (2.2 of 7.8 s for the 1 GiB tree, bench/RESULTS.md). ssh2 takes
 * a socket of ours through its documented `sock` option.
 */
function corkingSocket(host: string, port: number): net.Socket {
  const sock = net.connect({ host, port, noDelay: true });
  const write = sock.write.bind(sock) as (...args: unknown[]) => boolean;
  let corked = false;
  sock.write = ((...args: unknown[]): boolean => {
    if (!corked) {
      corked = true;
      sock.cork();
      process.nextTick(() => {
        corked = false;
        sock.uncork();
      });
    }
    return write(...args);
  }) as net.Socket['write'];
  return sock;
}

interface Connection {
  sessions: Sftp[];
  lost(): string | undefined;
  end(): void;
}

function connect(login: SftpLogin, privateKey: string, access: ServerAccess, sessions: number, signal?: AbortSignal): Promise<Connection> {
  const address = sftpAddress(login);
  const client = new ssh2.Client();
  let lost: string | undefined;
  return new Promise<Connection>((resolve, reject) => {
    const fail = (err: Error): void => {
      lost ??= err.message;
      client.end();
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
      // A dropped connection has one retry layer: the activity's retry policy (set in
      // workflows/sync.ts), whose next attempt resumes from what is proven written. No reconnect
      // loop here, so a dead server is not retried at two levels.
      reject(retryable('SftpConnectionLost', `SFTP connection to ${address.host}:${address.port} failed: ${err.message}`));
    };
    client.once('error', fail);
    const pending = new Set<(err: Error) => void>();
    const replies = { fastestMs: Infinity };
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
      // Before 'ready' nothing else would settle this promise (a no-op after).
      reject(new Error('SFTP connection abandoned: the sync ended before it was up'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const end = (): void => {
      lost ??= 'ended';
      signal?.removeEventListener('abort', onAbort);
      client.end();
    };
    const openSession = (): Promise<Sftp> =>
      new Promise<Sftp>((res, rej) => {
        client.sftp((err, wrapper) => {
          if (err) {
            rej(err);
            return;
          }
          wrapper.on('error', () => undefined);
          res(promisified(wrapper, pending, replies, () => lost, end));
        });
      });
    client.once('ready', () => {
      Promise.all(Array.from({ length: sessions }, openSession)).then(
        (opened) => {
          client.off('error', fail);
          // Later socket errors surface through the pending calls; keep them from crashing the worker.
          client.on('error', (e: Error) => {
            lost ??= e.message;
          });
          resolve({ sessions: opened, lost: () => lost, end });
        },
        (err: Error) => fail(err),
      );
    });
    client.connect({
      sock: corkingSocket(address.host, address.port),
      username: address.username,
      privateKey,
      readyTimeout: 20_000,
      keepaliveInterval: 5_000,
      keepaliveCountMax: 3,
      // Straight to the key (ssh2 would first try "none" and spend a round trip on its refusal),
      // once Transfer has it; a refused import is reported by withSftpPool, which ends this.
      authHandler: (methodsLeft: AuthenticationType[] | null, _partial, next) => {
        // Called again only once the key was refused: ssh2 takes `false` for "no method left"
        // (its types omit it) and fails the login, which `fail` reports.
        if (methodsLeft !== null) (next as unknown as (done: false) => void)(false);
        else access.keyImported.then(() => next('publickey'), () => undefined);
      },
      algorithms: { cipher: [...CIPHERS] },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        access.hostFingerprint.then((expected) => {
          if (!expected) {
            verify(true);
            return;
          }
          const ok = fingerprint(key) === expected.replace(/=+$/, '');
          if (!ok) log.error('SFTP host key does not match the server\'s HostKeyFingerprint', { expected, got: fingerprint(key) });
          verify(ok);
        }, () => undefined);
      },
    });
  });
}

function promisified(w: SFTPWrapper, pending: Set<(err: Error) => void>, replies: { fastestMs: number }, lost: () => string | undefined, end: () => void): Sftp {
  // What the server announced at session start (limits@openssh.com, posix-rename@openssh.com);
  // ssh2 keeps both on the wrapper without a public accessor.
  const internals = w as unknown as { _maxWriteLen?: number; _maxReadLen?: number; _extensions?: Record<string, string> };
  const posixRename = internals._extensions?.['posix-rename@openssh.com'] === '1';
  const call = <R>(fn: (cb: (err: Error | undefined | null, result?: R) => void) => void): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      const gone = lost();
      if (gone) {
        reject(new Error(`SFTP connection lost (${gone})`));
        return;
      }
      pending.add(reject);
      const sent = performance.now();
      try {
        fn((err, result) => {
          pending.delete(reject);
          replies.fastestMs = Math.min(replies.fastestMs, performance.now() - sent);
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
    readdir: async (p) => {
      const handle = await call<Buffer>((cb) => w.opendir(p, cb));
      const entries: FileEntryWithStats[] = [];
      try {
        for (;;) {
          // The end of the dir comes as an EOF status (code 1), not an error.
          const batch = await call<FileEntryWithStats[] | undefined>((cb) =>
            w.readdir(handle, (err, list) => (err && (err as { code?: unknown }).code === 1 ? cb(undefined, undefined) : cb(err, list))),
          );
          if (!batch) break;
          entries.push(...batch);
        }
      } finally {
        // Nothing waits for the close (ssh2's readdir by path does): the entries are complete at
        // EOF, and waiting would add a round trip to every dir of the listing.
        call<void>((cb) => w.close(handle, cb)).catch(() => undefined);
      }
      return entries;
    },
    mkdir: (p) => call<void>((cb) => w.mkdir(p, cb)),
    rmdir: (p) => call<void>((cb) => w.rmdir(p, cb)),
    unlink: (p) => call<void>((cb) => w.unlink(p, cb)),
    rename: (from, to) => call<void>((cb) => w.rename(from, to, cb)),
    open: (p, flags) => call<Buffer>((cb) => w.open(p, flags as OpenMode, cb)),
    write: (h, data, position) => call<void>((cb) => w.write(h, data, 0, data.length, position, cb)),
    read: (h, buffer, position) => call<number>((cb) => w.read(h, buffer, 0, buffer.length, position, (err, bytesRead) => cb(err, bytesRead))),
    futimes: (h, atime, mtime) => call<void>((cb) => w.futimes(h, atime, mtime, cb)),
    utimes: (p, atime, mtime) => call<void>((cb) => w.utimes(p, atime, mtime, cb)),
    renameOver: async (from, to) => {
      if (posixRename) {
        await call<void>((cb) => w.ext_openssh_rename(from, to, cb));
        return;
      }
      try {
        await call<void>((cb) => w.rename(from, to, cb));
      } catch (err) {
        if (lost()) throw err;
        // Plain SFTP v3 servers refuse to rename over an existing file (Transfer on EFS does not).
        await call<void>((cb) => w.unlink(to, cb)).catch((e: unknown) => {
          if ((e as { code?: unknown }).code !== 2) throw e;
        });
        await call<void>((cb) => w.rename(from, to, cb));
      }
    },
    close: (h) => call<void>((cb) => w.close(h, cb)),
    maxWriteLen: Math.max(4096, internals._maxWriteLen ?? 32_768),
    maxReadLen: Math.max(4096, internals._maxReadLen ?? 32_768),
    get fastestReplyMs() {
      return replies.fastestMs;
    },
    get lost() {
      return lost();
    },
    end,
  };
}
