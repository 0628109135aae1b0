import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SftpClient from 'ssh2-sftp-client';
import type { Client, SFTPWrapper } from 'ssh2';
import {
  TransferClient, CreateServerCommand, CreateUserCommand, DeleteServerCommand, StopServerCommand, waitUntilServerOnline,
} from '@aws-sdk/client-transfer';
import { simControl } from '../../sim/control-client.js';
import type { RunningSim } from '../../sim/index.js';
import { makeKeyPair, sdkOptions, startFastSim, type KeyPair } from './helpers.js';

const run = promisify(execFile);
const FS_ID = 'fs-0123456789abcdef0';
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

void describe('SFTP endpoint', () => {
  let sim: RunningSim;
  let transfer: TransferClient;
  let key: KeyPair;
  const scratch = mkdtempSync(join(tmpdir(), 'sim-sftp-test-'));
  const clients: SftpClient[] = [];

  before(async () => {
    sim = await startFastSim();
    transfer = new TransferClient(sdkOptions(sim));
    key = makeKeyPair();
    mkdirSync(join(sim.efsDir(FS_ID), 'site'), { recursive: true });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    transfer.destroy();
    await sim.close();
    key.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });

  const onlineServerWithUser = async (userName = 'deploy', home = `/${FS_ID}/site`): Promise<string> => {
    const { ServerId } = await transfer.send(new CreateServerCommand({ Domain: 'EFS', Protocols: ['SFTP'] }));
    await transfer.send(new CreateUserCommand({
      ServerId, UserName: userName, Role: 'arn:aws:iam::123456789012:role/transfer-efs-access', HomeDirectory: home,
      PosixProfile: { Uid: 1000, Gid: 1000 }, SshPublicKeyBody: key.publicKey,
    }));
    await waitUntilServerOnline({ client: transfer, maxWaitTime: 10, minDelay: 0.1, maxDelay: 0.2 }, { ServerId: ServerId as string });
    return ServerId as string;
  };

  const connect = async (username: string): Promise<SftpClient> => {
    const client = new SftpClient();
    clients.push(client);
    await client.connect({ host: sim.sftpHost, port: sim.sftpPort, username, privateKey: key.privateKey, readyTimeout: 5000 });
    return client;
  };

  void it('uploads byte-identical files with ssh2-sftp-client, renames over targets, lists and cleans up', async () => {
    const serverId = await onlineServerWithUser();
    const sftp = await connect('deploy');
    assert.equal(await sftp.cwd(), `/${FS_ID}/site`);
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const local = join(scratch, 'big.bin');
    writeFileSync(local, big);
    await sftp.mkdir('release/data', true);
    await sftp.fastPut(local, 'release/data/big.bin.part');
    await sftp.put(Buffer.from('old'), 'release/data/big.bin');
    await sftp.rename('release/data/big.bin.part', 'release/data/big.bin');
    const onDisk = readFileSync(join(sim.efsDir(FS_ID), 'site/release/data/big.bin'));
    assert.equal(sha(onDisk), sha(big));

    const wrapper = (sftp as unknown as { sftp: SFTPWrapper }).sftp;
    await new Promise<void>((resolve, reject) => wrapper.utimes('release/data/big.bin', 1_600_000_000, 1_600_000_000, (e) => (e ? reject(e) : resolve())));
    assert.equal(statSync(join(sim.efsDir(FS_ID), 'site/release/data/big.bin')).mtimeMs, 1_600_000_000_000);

    const stat = await sftp.stat(`/${FS_ID}/site/release/data/big.bin`);
    assert.equal(stat.size, big.length);
    const listing = await sftp.list('release/data');
    assert.deepEqual(listing.map((f) => f.name).sort(), ['big.bin']);
    const back = await sftp.get('release/data/big.bin');
    assert.ok(Buffer.isBuffer(back) && sha(back) === sha(big));
    await sftp.delete('release/data/big.bin');
    await sftp.rmdir('release', true);
    assert.equal(existsSync(join(sim.efsDir(FS_ID), 'site/release')), false);
    await sftp.end();
    await transfer.send(new DeleteServerCommand({ ServerId: serverId }));
  });

  void it('refuses traversal: .., absolute paths outside home, symlinks leaving the root', async () => {
    const serverId = await onlineServerWithUser();
    writeFileSync(join(sim.efsDir(FS_ID), 'secret.txt'), 'outside home');
    const outsideDir = mkdtempSync(join(tmpdir(), 'sim-outside-'));
    writeFileSync(join(outsideDir, 'passwd'), 'host file');
    symlinkSync(outsideDir, join(sim.efsDir(FS_ID), 'site', 'escape'));
    const sftp = await connect('deploy');
    await assert.rejects(sftp.get('../secret.txt'), /denied/i);
    await assert.rejects(sftp.get(`/${FS_ID}/secret.txt`), /denied/i);
    await assert.rejects(sftp.put(Buffer.from('x'), '../../../../tmp/evil.txt'), /denied/i);
    await assert.rejects(sftp.get('escape/passwd'), /denied/i);
    await assert.rejects(sftp.put(Buffer.from('x'), 'escape/new.txt'), /denied/i);
    await assert.rejects(sftp.list('/'), /denied/i);
    // The home directory itself is inside the jail: it can be listed and stat'ed.
    assert.ok(Array.isArray(await sftp.list(`/${FS_ID}/site`)));
    assert.equal((await sftp.stat(`/${FS_ID}/site`)).isDirectory, true);
    assert.equal(existsSync(join(outsideDir, 'new.txt')), false);
    rmSync(outsideDir, { recursive: true, force: true });
    rmSync(join(sim.efsDir(FS_ID), 'site', 'escape'));
    await sftp.end();
    await transfer.send(new DeleteServerCommand({ ServerId: serverId }));
  });

  void it('accepts the key only while ONLINE, closes sessions on stop and delete', async () => {
    const serverId = await onlineServerWithUser();
    const sftp = await connect(`${serverId}/deploy`);
    await sftp.put(Buffer.from('hello'), 'hello.txt');
    const closed = new Promise<void>((resolve) => (sftp as unknown as { client: Client }).client.once('close', () => resolve()));
    await transfer.send(new StopServerCommand({ ServerId: serverId }));
    await closed;
    await assert.rejects(connect('deploy'), /authentication/i);
    await transfer.send(new DeleteServerCommand({ ServerId: serverId }));
    await assert.rejects(connect(`${serverId}/deploy`), /authentication/i);
    const stranger = makeKeyPair();
    const serverId2 = await onlineServerWithUser();
    const c = new SftpClient();
    await assert.rejects(c.connect({ host: sim.sftpHost, port: sim.sftpPort, username: 'deploy', privateKey: stranger.privateKey, readyTimeout: 5000 }), /authentication/i);
    stranger.cleanup();
    await transfer.send(new DeleteServerCommand({ ServerId: serverId2 }));
  });

  void it('needs serverId/user when a plain user name is ambiguous', async () => {
    const a = await onlineServerWithUser('twin');
    const b = await onlineServerWithUser('twin');
    await assert.rejects(connect('twin'), /authentication/i);
    const sftp = await connect(`${b}/twin`);
    await sftp.end();
    await transfer.send(new DeleteServerCommand({ ServerId: a }));
    const plain = await connect('twin');
    await plain.end();
    await transfer.send(new DeleteServerCommand({ ServerId: b }));
  });

  void it('works with OpenSSH sftp in batch mode (put -r, rename, ls)', async () => {
    const serverId = await onlineServerWithUser('batchuser');
    const tree = join(scratch, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    const payload = randomBytes(700_000);
    writeFileSync(join(tree, 'a.bin'), payload);
    writeFileSync(join(tree, 'sub', 'b.txt'), 'bee\n');
    const batch = join(scratch, 'batch.txt');
    writeFileSync(batch, [`put -r ${tree} upload`, 'rename upload/sub/b.txt upload/sub/c.txt', 'ls -l upload', 'bye', ''].join('\n'));
    const { stdout } = await run('sftp', [
      '-b', batch, '-i', key.privateKeyFile, '-P', String(sim.sftpPort),
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR',
      `batchuser@${sim.sftpHost}`,
    ], { timeout: 20_000 }).catch((err: Error & { stderr?: string }) => {
      throw new Error(`sftp failed: ${err.stderr ?? ''}`);
    });
    assert.match(stdout, /a\.bin/);
    const base = join(sim.efsDir(FS_ID), 'site', 'upload');
    assert.equal(sha(readFileSync(join(base, 'a.bin'))), sha(payload));
    assert.equal(readFileSync(join(base, 'sub', 'c.txt'), 'utf8'), 'bee\n');
    await transfer.send(new DeleteServerCommand({ ServerId: serverId }));
    await assert.rejects(run('sftp', [
      '-b', batch, '-i', key.privateKeyFile, '-P', String(sim.sftpPort),
      '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR',
      `batchuser@${sim.sftpHost}`,
    ], { timeout: 20_000 }), /Permission denied|exit|Command failed/);
  });

  void it('drops the connection after N bytes when told', async () => {
    const serverId = await onlineServerWithUser('dropper');
    await simControl(sim.controlUrl).addFault({ service: 'sftp', dropAfterBytes: 100_000, count: 1 });
    const sftp = await connect('dropper');
    const local = join(scratch, 'drop.bin');
    writeFileSync(local, randomBytes(1024 * 1024));
    // A stream upload writes in order, so the file's size is exactly what got through.
    await assert.rejects(sftp.put(createReadStream(local), 'drop.bin'));
    const partial = statSync(join(sim.efsDir(FS_ID), 'site', 'drop.bin')).size;
    assert.ok(partial <= 100_000, `wrote ${partial} bytes`);
    // The fault fired once; the next session works.
    const again = await connect('dropper');
    await again.fastPut(local, 'drop.bin');
    assert.equal(statSync(join(sim.efsDir(FS_ID), 'site', 'drop.bin')).size, 1024 * 1024);
    await again.end();
    await transfer.send(new DeleteServerCommand({ ServerId: serverId }));
  });
});
