import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import SftpClient from 'ssh2-sftp-client';
import { TransferClient, CreateServerCommand, CreateUserCommand, DescribeServerCommand, waitUntilServerOnline } from '@aws-sdk/client-transfer';
import { EFSClient, CreateFileSystemCommand, DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import {
  ElasticBeanstalkClient, CreateApplicationCommand, CreateApplicationVersionCommand, CreateEnvironmentCommand,
  DescribeEnvironmentsCommand, waitUntilEnvironmentUpdated,
} from '@aws-sdk/client-elastic-beanstalk';
import { simControl } from '../../sim/control-client.js';
import { makeKeyPair, sdkOptions, startFastSim } from './helpers.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const waiter = { maxWaitTime: 10, minDelay: 0.1, maxDelay: 0.2 };

void describe('state dir and CLI', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sim-restart-'));
  const key = makeKeyPair();
  after(() => {
    rmSync(stateDir, { recursive: true, force: true });
    key.cleanup();
  });

  void it('a restarted sim keeps servers, users, files, buckets, environments; transitions resume on schedule', async () => {
    let sim = await startFastSim({ stateDir });
    let clients = {
      transfer: new TransferClient(sdkOptions(sim)), efs: new EFSClient(sdkOptions(sim)),
      s3: new S3Client({ ...sdkOptions(sim), forcePathStyle: true }), eb: new ElasticBeanstalkClient(sdkOptions(sim)),
    };
    const fs = await clients.efs.send(new CreateFileSystemCommand({ CreationToken: 'keep' }));
    const fsId = fs.FileSystemId as string;
    const { ServerId } = await clients.transfer.send(new CreateServerCommand({ Domain: 'EFS' }));
    await clients.transfer.send(new CreateUserCommand({
      ServerId, UserName: 'deploy', Role: 'arn:aws:iam::123456789012:role/transfer-efs-access', HomeDirectory: `/${fsId}`, PosixProfile: { Uid: 1, Gid: 1 }, SshPublicKeyBody: key.publicKey,
    }));
    await waitUntilServerOnline({ client: clients.transfer, ...waiter }, { ServerId: ServerId as string });
    const sftp = new SftpClient();
    await sftp.connect({ host: sim.sftpHost, port: sim.sftpPort, username: 'deploy', privateKey: key.privateKey });
    await sftp.put(Buffer.from('kept across restarts'), 'kept.txt');
    await sftp.end();
    await clients.s3.send(new CreateBucketCommand({ Bucket: 'keep' }));
    await clients.s3.send(new PutObjectCommand({ Bucket: 'keep', Key: 'a.txt', Body: 'object body' }));
    await clients.eb.send(new CreateApplicationCommand({ ApplicationName: 'app' }));
    await clients.eb.send(new CreateApplicationVersionCommand({ ApplicationName: 'app', VersionLabel: 'v1' }));
    const env = await clients.eb.send(new CreateEnvironmentCommand({ ApplicationName: 'app', EnvironmentName: 'app-env', VersionLabel: 'v1', SolutionStackName: '64bit Amazon Linux 2023 v4.3.0 running Docker' }));
    // Close mid-launch: the restarted sim must finish the launch on schedule.
    Object.values(clients).forEach((c) => c.destroy());
    await sim.close();

    sim = await startFastSim({ stateDir });
    clients = {
      transfer: new TransferClient(sdkOptions(sim)), efs: new EFSClient(sdkOptions(sim)),
      s3: new S3Client({ ...sdkOptions(sim), forcePathStyle: true }), eb: new ElasticBeanstalkClient(sdkOptions(sim)),
    };
    try {
      assert.equal((await clients.transfer.send(new DescribeServerCommand({ ServerId }))).Server?.State, 'ONLINE');
      assert.equal((await clients.efs.send(new DescribeFileSystemsCommand({ FileSystemId: fsId }))).FileSystems?.[0]?.SizeInBytes?.Value, 20);
      assert.equal(readFileSync(join(sim.efsDir(fsId), 'kept.txt'), 'utf8'), 'kept across restarts');
      const again = new SftpClient();
      await again.connect({ host: sim.sftpHost, port: sim.sftpPort, username: 'deploy', privateKey: key.privateKey });
      assert.equal(String(await again.get('kept.txt')), 'kept across restarts');
      await again.end();
      const obj = await clients.s3.send(new GetObjectCommand({ Bucket: 'keep', Key: 'a.txt' }));
      assert.equal(await obj.Body?.transformToString(), 'object body');
      await waitUntilEnvironmentUpdated({ client: clients.eb, ...waiter }, { EnvironmentNames: ['app-env'] });
      const [described] = (await clients.eb.send(new DescribeEnvironmentsCommand({ EnvironmentNames: ['app-env'] }))).Environments ?? [];
      assert.equal(described?.EnvironmentId, env.EnvironmentId);
      assert.equal((await fetch(`http://${described?.EndpointURL}/`)).status, 200);
      const ledger = await simControl(sim.controlUrl).ledger();
      assert.deepEqual(ledger.servers.map((s) => s.serverId), [ServerId]);
      assert.equal(ledger.alive, 1);

      const state = await simControl(sim.controlUrl).state();
      assert.ok(state.s3.buckets.keep);
      await simControl(sim.controlUrl).reset();
      assert.deepEqual((await simControl(sim.controlUrl).ledger()).servers, []);
    } finally {
      Object.values(clients).forEach((c) => c.destroy());
      await sim.close();
    }
  });

  void it('npm run sim: prints one JSON ready line, stays up, exits 0 on SIGTERM; bad flags exit 2 with one sentence', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--port', '0', '--sftp-port', '0', '--json', '--state-dir', join(stateDir, 'cli')], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const [line] = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
    const ready = JSON.parse(line ?? '{}') as { endpoint: string; sftp: string; control: string; stateDir: string };
    assert.match(ready.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(ready.sftp, /^127\.0\.0\.1:\d+$/);
    assert.equal(ready.control, `${ready.endpoint}/_sim`);
    assert.equal((await fetch(`${ready.control}/health`)).status, 200);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);

    const bad = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--prot', '4566'], { cwd: ROOT }, (err, _out, stderr) => {
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stderr });
      });
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr.trim(), /^Unknown flag --prot; the sim accepts: .*--port.*\.$/);
    const badPort = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'sim/main.ts', '--port', 'http'], { cwd: ROOT }, (err, _out, stderr) => {
        resolve({ code: typeof err?.code === 'number' ? err.code : 0, stderr });
      });
    });
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /--port needs a port number/);
  });
});
