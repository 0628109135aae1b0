import { DescribeServerCommand, StartServerCommand } from '@aws-sdk/client-transfer';
import { heartbeat, log, sleep } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable } from '../failures.js';
import { isThrottling, rethrowAws } from '../aws/errors.js';
import { costLimitFailure } from './cost-guard.js';
import type { SyncTarget } from './sync-target.js';

export interface WaitOnlineInput {
  target: SyncTarget;
  serverId: string;
  createdAt: string;
  pollSeconds: number;
  onlineTimeoutMinutes: number;
  /** Epoch ms after which the cost guard stops the run. */
  deadlineMs: number;
  maxServerHours: number;
}

export interface ServerOnline {
  serverId: string;
  state: 'ONLINE';
  waitedMs: number;
}

/**
 * Polls DescribeServer until ONLINE, heartbeating each poll so a cancellation (or a dead worker)
 * is noticed within one poll. A stopped server is started again; a failed start is final.
 */
export async function waitForServerOnline(aws: AwsClientFactory, input: WaitOnlineInput): Promise<ServerOnline> {
  const { transfer } = aws(input.target);
  const began = Date.now();
  const giveUpAt = Date.parse(input.createdAt) + input.onlineTimeoutMinutes * 60_000;
  for (;;) {
    let state: string;
    try {
      const { Server } = await transfer.send(new DescribeServerCommand({ ServerId: input.serverId }));
      state = Server?.State ?? 'UNKNOWN';
    } catch (err) {
      // A throttled poll is just a skipped poll.
      if (!isThrottling(err)) rethrowAws(err, 'DescribeServer');
      state = 'UNKNOWN';
    }
    heartbeat({ state });
    if (state === 'ONLINE') return { serverId: input.serverId, state, waitedMs: Date.now() - began };
    if (state === 'START_FAILED' || state === 'STOP_FAILED') {
      throw nonRetryable(
        'ServerStartFailed',
        `Transfer server ${input.serverId} ended in ${state}: check transfer.loggingRole and the account's Transfer quotas, then start the sync again (the server is deleted).`,
        { serverId: input.serverId, state },
      );
    }
    if (state === 'OFFLINE') {
      log.warn('server is OFFLINE; starting it', { serverId: input.serverId });
      await transfer.send(new StartServerCommand({ ServerId: input.serverId })).catch((err: unknown) => {
        rethrowAws(err, 'StartServer');
      });
    }
    if (Date.now() > input.deadlineMs) throw costLimitFailure(input.serverId, input.maxServerHours, `before uploading anything, while the server was ${state}`);
    if (Date.now() > giveUpAt) {
      throw nonRetryable(
        'ServerStartFailed',
        `Transfer server ${input.serverId} is still ${state} after transfer.onlineTimeoutMinutes (${input.onlineTimeoutMinutes}): check the AWS Transfer console or raise the limit, then start the sync again (the server is deleted).`,
        { serverId: input.serverId, state },
      );
    }
    // Rejects with CancelledFailure when the workflow cancels this wait.
    await sleep(input.pollSeconds * 1000);
  }
}
