import { DeleteServerCommand, DeleteUserCommand, DescribeServerCommand, type TransferClient } from '@aws-sdk/client-transfer';
import { heartbeat, log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsErrorCode, isNotFound, rethrowAws } from '../aws/errors.js';
import { listOwnedServers } from './runbook-servers.js';
import type { SyncTarget } from './sync-target.js';

export interface TeardownInput {
  target: SyncTarget;
  /** The server provisioning returned; without it, every server tagged with `owner` is deleted. */
  serverId?: string;
  owner?: { workflowId: string; runId: string };
  userName?: string;
  pollSeconds: number;
}

export interface TeardownResult {
  deleted: { serverId: string; goneAt: string }[];
}

/**
 * Deletes the user, then the server, then waits until DescribeServer no longer knows it (there is
 * no SDK waiter for deletion). Deleting the user first means a half-finished teardown leaves no
 * way in. Also sweeps other servers tagged with the same run, so no retry's leftover is billed.
 */
export async function teardownSftpServer(aws: AwsClientFactory, input: TeardownInput): Promise<TeardownResult> {
  const { transfer } = aws(input.target);
  try {
    const ids = new Set<string>(input.serverId ? [input.serverId] : []);
    if (input.owner) for (const s of await listOwnedServers(transfer, input.owner)) ids.add(s.serverId);
    const deleted: TeardownResult['deleted'] = [];
    for (const serverId of ids) {
      await deleteServerCompletely(transfer, serverId, input.userName, input.pollSeconds);
      deleted.push({ serverId, goneAt: new Date().toISOString() });
    }
    return { deleted };
  } catch (err) {
    rethrowAws(err, 'the SFTP server teardown');
  }
}

export async function deleteServerCompletely(transfer: TransferClient, serverId: string, userName: string | undefined, pollSeconds: number): Promise<void> {
  if (userName) {
    try {
      await transfer.send(new DeleteUserCommand({ ServerId: serverId, UserName: userName }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  let deleteSent = false;
  for (;;) {
    heartbeat({ serverId, deleteSent });
    let state: string;
    try {
      const { Server } = await transfer.send(new DescribeServerCommand({ ServerId: serverId }));
      state = Server?.State ?? 'UNKNOWN';
    } catch (err) {
      if (isNotFound(err)) {
        log.info('SFTP server deleted', { serverId });
        return;
      }
      // Throttling and 5xx were the SDK client's to retry; what outlasts it fails the attempt,
      // and the activity's retry (idempotent: gone is done) picks the teardown up again.
      throw err;
    }
    // STARTING and STOPPING may refuse DeleteServer; then the next poll tries again.
    if (!deleteSent || state === 'ONLINE' || state === 'OFFLINE' || state.endsWith('FAILED')) {
      try {
        await transfer.send(new DeleteServerCommand({ ServerId: serverId }));
        deleteSent = true;
      } catch (err) {
        if (isNotFound(err)) return;
        // The server's state (STARTING, STOPPING) refuses deletion for now: this loop is the one
        // layer that waits for a state. Anything else, throttling included, is not ours to retry.
        if (!['InvalidRequestException', 'ConflictException'].includes(awsErrorCode(err))) throw err;
        log.info('DeleteServer refused for now; waiting for the server to settle', { serverId, state, error: awsErrorCode(err) });
      }
    }
    await sleep(pollSeconds * 1000);
  }
}
