/**
 * Runs the project's real upload engine (`syncDirectory`, then optionally `verifyRemoteTree`)
 * in a process of its own against an OpenSSH sshd, so the parent can sample its memory and
 * SIGKILL it. Usage: node --import tsx bench/lib/sync-child.ts '<json SyncChildInput>'.
 *
 * Two seams, both at the edge of the engine: the Transfer API (DescribeServer for the host key
 * fingerprint, Import/DeleteSshPublicKey) is answered here and the imported key is written to
 * the sshd's authorized keys; and the SSH username, which the engine sends as
 * "<serverId>/<user>" whenever an sftpEndpoint is configured (the sim's convention), is cut to
 * "<user>" because OpenSSH only knows system users. The SSH transport, SFTP requests, pipelining,
 * temp-name-then-rename, listing and planning are the product's own code, unchanged.
 */
import { appendFile } from 'node:fs/promises';
import { DeleteSshPublicKeyCommand, DescribeServerCommand, ImportSshPublicKeyCommand } from '@aws-sdk/client-transfer';
import { MockActivityEnvironment } from '@temporalio/testing';
import ssh2 from 'ssh2';
import type { AwsClientFactory, AwsClients } from '../../activities/aws/clients.js';
import { syncDirectory, type SyncDirectoryResult } from '../../activities/sync/sync-directory.js';
import type { SyncHeartbeat } from '../../activities/sync/sync-progress.js';
import { verifyRemoteTree } from '../../activities/sync/verify-remote-tree.js';
import { quietLogger } from './quiet-logger.js';
import { memoryOf } from './rss.js';

export interface SyncChildInput {
  localDir: string;
  stateDir: string;
  sshPort: number;
  hostFingerprint: string;
  extraKeysFile: string;
  fileSystemId: string;
  remoteDir: string;
  workflowId: string;
  attempt: number;
  heartbeatDetails?: Partial<SyncHeartbeat>;
  parallelism: number;
  sessionsPerConnection?: number;
  verify?: 'size' | 'sample' | 'all';
}

export interface SyncChildResult {
  syncSeconds: number;
  verifySeconds: number | null;
  result: SyncDirectoryResult;
  /** This process's peak resident set (VmHWM), bytes. */
  hwm: number;
  /** CPU this process used for the sync (user + system), seconds. */
  cpuSeconds: number;
}

export interface SyncChildProgress {
  type: 'heartbeat';
  details: Partial<SyncHeartbeat>;
}

function fakeAws(input: SyncChildInput): AwsClientFactory {
  const transfer = {
    send: async (command: unknown): Promise<unknown> => {
      if (command instanceof DescribeServerCommand) return { Server: { ServerId: command.input.ServerId, HostKeyFingerprint: input.hostFingerprint } };
      if (command instanceof ImportSshPublicKeyCommand) {
        const body = command.input.SshPublicKeyBody ?? '';
        // Appended, not rewritten: a truncating rewrite makes ext4 flush the file on close, and
        // behind a gigabyte of writeback that flush took up to 1.1 s (the real API writes nothing here).
        await appendFile(input.extraKeysFile, `\n${body.trim()}\n`);
        return { SshPublicKeyId: `key-${process.pid}` };
      }
      if (command instanceof DeleteSshPublicKeyCommand) return {};
      throw new Error(`the benchmark's Transfer stand-in does not answer ${(command as object).constructor.name}`);
    },
  };
  // Only `transfer` is reached by the upload and verify activities.
  const clients = { transfer } as unknown as AwsClients;
  return () => clients;
}

function cutUsername(): void {
  type Connect = (this: ssh2.Client, config: ssh2.ConnectConfig) => ssh2.Client;
  const proto = ssh2.Client.prototype as unknown as { connect: Connect };
  const original = proto.connect;
  proto.connect = function connect(this: ssh2.Client, config: ssh2.ConnectConfig): ssh2.Client {
    return original.call(this, { ...config, username: config.username?.split('/').pop() });
  };
}


async function run(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as SyncChildInput;
  cutUsername();
  const aws = fakeAws(input);
  const login = { target: { region: 'us-east-1', sftpEndpoint: `127.0.0.1:${input.sshPort}` }, serverId: 's-0bench0000000000', userName: 'root' };
  const common = { login, fileSystemId: input.fileSystemId, remoteDir: input.remoteDir, localDir: input.localDir, stateDir: input.stateDir, deleteExtraneous: true };
  const info = { attempt: input.attempt, heartbeatDetails: input.heartbeatDetails, workflowExecution: { workflowId: input.workflowId, runId: 'bench' }, heartbeatTimeoutMs: 60_000 };
  const env = new MockActivityEnvironment(info, { logger: quietLogger });
  env.on('heartbeat', (details: unknown) => {
    const message: SyncChildProgress = { type: 'heartbeat', details: details as Partial<SyncHeartbeat> };
    process.send?.(message);
  });
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const result = (await env.run((i: Parameters<typeof syncDirectory>[1]) => syncDirectory(aws, i), { ...common, parallelism: input.parallelism, sessionsPerConnection: input.sessionsPerConnection, deadlineMs: Date.now() + 6 * 3600_000, maxServerHours: 6 })) as SyncDirectoryResult;
  const syncSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (process.env.CPU_SPLIT) console.error(`cpu user ${cpu.user / 1e6} sys ${cpu.system / 1e6}`);
  let verifySeconds: number | null = null;
  if (input.verify) {
    const verifyStarted = process.hrtime.bigint();
    await new MockActivityEnvironment(info, { logger: quietLogger }).run((i: Parameters<typeof verifyRemoteTree>[1]) => verifyRemoteTree(aws, i), { ...common, mode: input.verify, sample: 20 });
    verifySeconds = Number(process.hrtime.bigint() - verifyStarted) / 1e9;
  }
  const out: SyncChildResult = { syncSeconds, verifySeconds, result, hwm: memoryOf('self')?.hwm ?? 0, cpuSeconds };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
  process.disconnect?.();
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
