import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { listenOn } from './http-util.js';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ParsedKey, PublicKeyAuthContext, Server } from 'ssh2';
import { everyRegion } from './regions.js';
import { advanceTransfer } from './services/transfer.js';
import { roleTrusts } from './services/iam.js';
import type { SimContext } from './context.js';
import type { TransferServer, TransferUser } from './state.js';
import { SftpSession } from './sftp-session.js';
import type { Mount } from './sftp-paths.js';
import { generateEd25519 } from './ssh-keys.js';

const { utils } = ssh2;

/** How a login name picks a Transfer user; see docs/SIM.md ("SFTP logins"). */
export function parseLoginName(username: string): { serverId?: string; userName: string } {
  const m = /^(s-[0-9a-f]{17})\/(.+)$/.exec(username);
  return m ? { serverId: m[1], userName: m[2] as string } : { userName: username };
}

function loadOrCreateHostKey(stateDir: string): string {
  const file = join(stateDir, 'ssh_host_ed25519_key');
  if (existsSync(file)) return readFileSync(file, 'utf8');
  const pair = generateEd25519();
  writeFileSync(file, pair.private, { mode: 0o600 });
  return pair.private;
}

export function hostKeyFingerprint(privateKey: string): string {
  const key = utils.parseKey(privateKey);
  if (key instanceof Error || Array.isArray(key)) throw new Error('host key unreadable');
  return `SHA256:${createHash('sha256').update(key.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
}

/** Where a user's visible paths live on disk (Transfer's PATH vs LOGICAL home directories). */
export function mountsFor(stateDir: string, server: TransferServer, user: TransferUser): { mounts: Mount[]; home: string } {
  // S3-domain servers get a plain directory too: the sim has no S3-backed file view.
  const base = join(stateDir, server.domain === 'EFS' ? 'efs' : 'transfer-s3');
  const toDisk = (p: string): string => join(base, ...posix.resolve('/', p).split('/').filter(Boolean));
  if (user.homeDirectoryType === 'LOGICAL' && user.homeDirectoryMappings) {
    return {
      mounts: user.homeDirectoryMappings.map((m) => ({ virtual: posix.resolve('/', m.Entry), disk: toDisk(m.Target) })),
      home: posix.resolve('/', user.homeDirectory ?? '/'),
    };
  }
  const home = posix.resolve('/', user.homeDirectory ?? '/');
  return { mounts: [{ virtual: home, disk: toDisk(home) }], home };
}

interface OpenConnection {
  serverId: string;
  userName: string;
  drop(): void;
}

export interface RunningSftp {
  port: number;
  hostKeyFingerprint: string;
  closeSessions(serverId: string, userName?: string): void;
  close(): Promise<void>;
}

// Compare key blobs, not algorithm names: an ssh-rsa key signs as rsa-sha2-256/512.
function keyMatches(offered: { algo: string; data: Buffer }, body: string): boolean {
  const parsed = utils.parseKey(body);
  if (parsed instanceof Error || Array.isArray(parsed)) return false;
  const pub = parsed.getPublicSSH();
  return pub.length === offered.data.length && timingSafeEqual(pub, offered.data);
}

/**
 * One SSH server for every Transfer server: a login is accepted only for a user of an ONLINE
 * server holding the offered key, and each session is jailed to that user's home.
 */
export async function startSftpServer(ctx: Omit<SimContext, 'hostKeyFingerprint'>, host: string, port: number): Promise<RunningSftp> {
  const hostKey = loadOrCreateHostKey(ctx.stateDir);
  const open = new Set<OpenConnection>();

  const candidates = (username: string, key: { algo: string; data: Buffer }): { server: TransferServer; user: TransferUser }[] => {
    advanceTransfer(ctx);
    const { serverId, userName } = parseLoginName(username);
    return everyRegion(ctx.store.state).flatMap(([, r]) => Object.values(r.transfer.servers))
      .filter((s) => s.deletedAt === undefined && s.state === 'ONLINE' && (serverId === undefined || s.serverId === serverId))
      .flatMap((server) => {
        const user = server.users[userName];
        // Transfer assumes the user's role for every session: a role that does not trust it means no login.
        return user && user.sshKeys.some((k) => keyMatches(key, k.body)) && roleTrusts(ctx, user.role, 'transfer.amazonaws.com') ? [{ server, user }] : [];
      });
  };

  const server: Server = new ssh2.Server({ hostKeys: [hostKey] }, (client: Connection) => {
    let identity: { server: TransferServer; user: TransferUser } | undefined;
    // Sockets end with ECONNRESET when a client vanishes; that is not the sim's failure.
    client.on('error', () => undefined);

    client.on('authentication', (auth: AuthContext) => {
      if (auth.method !== 'publickey') {
        auth.reject(['publickey']);
        return;
      }
      const pk = auth as PublicKeyAuthContext;
      const found = candidates(pk.username, pk.key);
      if (found.length !== 1) {
        // Zero: unknown user/key or server not ONLINE. Several: ambiguous plain name, see docs.
        pk.reject(['publickey']);
        return;
      }
      if (!pk.signature) {
        pk.accept();
        return;
      }
      const parsed = utils.parseKey(found[0]!.user.sshKeys.find((k) => keyMatches(pk.key, k.body))!.body) as ParsedKey;
      if (pk.blob === undefined || parsed.verify(pk.blob, pk.signature, pk.hashAlgo) !== true) {
        pk.reject(['publickey']);
        return;
      }
      identity = found[0];
      pk.accept();
    });

    client.on('ready', () => {
      if (!identity) {
        client.end();
        return;
      }
      const { server: transferServer, user } = identity;
      const [fault] = ctx.faults.fire('sftp', 'session', (s) => s.dropAfterBytes !== undefined || s.latencyMs !== undefined);
      const record: OpenConnection = {
        serverId: transferServer.serverId,
        userName: user.userName,
        drop: () => {
          // Cut the TCP connection without an SSH goodbye, as a network failure would.
          const sock = (client as unknown as { _sock?: { destroy(): void } })._sock;
          if (sock) sock.destroy();
          else client.end();
        },
      };
      open.add(record);
      client.on('close', () => open.delete(record));
      const { mounts, home } = mountsFor(ctx.stateDir, transferServer, user);
      const dropAfter = fault?.dropAfterBytes === undefined ? undefined : { limit: fault.dropAfterBytes, moved: 0 };

      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => {
          const sftp = acceptSftp();
          new SftpSession(sftp, mounts, home, dropAfter, () => record.drop(), fault?.latencyMs ?? 0, (disk, n) => {
            const key = relative(ctx.stateDir, disk);
            ctx.sftpWrites.set(key, (ctx.sftpWrites.get(key) ?? 0) + n);
          }).attach();
        });
        // Transfer Family offers no shell or exec.
        session.on('exec', (_accept, reject) => reject());
        session.on('shell', (_accept, reject) => reject());
        session.on('pty', (_accept, reject) => reject?.());
      });
    });
  });

  const listening = await listenOn(server, host, port);

  return {
    port: listening,
    hostKeyFingerprint: hostKeyFingerprint(hostKey),
    closeSessions(serverId, userName) {
      for (const c of [...open]) {
        if (c.serverId === serverId && (userName === undefined || c.userName === userName)) {
          open.delete(c);
          c.drop();
        }
      }
    },
    close: () => new Promise<void>((resolve) => {
      for (const c of open) c.drop();
      open.clear();
      server.close(() => resolve());
    }),
  };
}
