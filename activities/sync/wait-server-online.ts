import { DescribeServerCommand, StartServerCommand, waitForServerOnline as sdkWaitForServerOnline, type TransferClient } from '@aws-sdk/client-transfer';
import { cancellationSignal, heartbeat, log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable } from '../failures.js';
import { rethrowAws } from '../aws/errors.js';
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
 * Waits for ONLINE with the SDK's waitUntilServerOnline (it polls DescribeServer and fails on
 * START_FAILED), cancelled with the activity and heartbeating meanwhile. Before and after it, one
 * DescribeServer of our own does what the waiter does not: starts a stopped (OFFLINE) server, fails
 * at once on STOP_FAILED, and classifies an AWS error (the waiter polls through any error).
 * The SDK's client retries throttling/5xx of each call; this activity does not loop on them.
 */
export async function waitForServerOnline(aws: AwsClientFactory, input: WaitOnlineInput): Promise<ServerOnline> {
  const { transfer } = aws(input.target);
  const began = Date.now();
  const giveUpAt = Date.parse(input.createdAt) + input.onlineTimeoutMinutes * 60_000;
  const online = (): ServerOnline => ({ serverId: input.serverId, state: 'ONLINE', waitedMs: Date.now() - began });

  let state = await checkServer(transfer, input);
  if (state === 'ONLINE') return online();
  const waitUntil = Math.min(giveUpAt, input.deadlineMs);
  const maxWaitTime = (waitUntil - Date.now()) / 1000;
  if (maxWaitTime > input.pollSeconds) {
    const abortSignal = cancellationSignal();
    // The waiter sleeps between polls without a word: heartbeats say the worker is alive and let
    // a cancellation reach this activity, which the abort signal then passes to the waiter.
    const keepAlive = setInterval(() => heartbeat({ state: 'waiting for ONLINE' }), 1000);
    try {
      const result = await sdkWaitForServerOnline(
        { client: transfer, maxWaitTime, minDelay: input.pollSeconds, maxDelay: input.pollSeconds, abortSignal },
        { ServerId: input.serverId },
      );
      // WaiterState, a string enum of @smithy/util-waiter (not a dependency of ours).
      const outcome = String(result.state);
      if (outcome === 'ABORTED') throw abortSignal.reason;
      if (outcome === 'SUCCESS') return online();
      if (outcome === 'FAILURE') throw startFailed(input.serverId, 'START_FAILED');
    } finally {
      clearInterval(keepAlive);
    }
    // Timed out: one last look says how it ended (and classifies an error the waiter polled through).
    state = await checkServer(transfer, input);
    if (state === 'ONLINE') return online();
  }
  // The waiter ran until the nearer of the two limits; say which one ended it.
  if (input.deadlineMs < giveUpAt) {
    throw costLimitFailure(input.serverId, input.maxServerHours, `before uploading anything, while the server was ${state}`);
  }
  throw nonRetryable(
    'ServerStartFailed',
    `Transfer server ${input.serverId} is still ${state} after transfer.onlineTimeoutMinutes (${input.onlineTimeoutMinutes}): check the AWS Transfer console or raise the limit, then start the sync again (the server is deleted).`,
    { serverId: input.serverId, state },
  );
}

/** DescribeServer once: a failed start is final, a stopped server is started again. */
async function checkServer(transfer: TransferClient, input: WaitOnlineInput): Promise<string> {
  let state: string;
  try {
    const { Server } = await transfer.send(new DescribeServerCommand({ ServerId: input.serverId }));
    state = Server?.State ?? 'UNKNOWN';
  } catch (err) {
    rethrowAws(err, 'DescribeServer');
  }
  heartbeat({ state });
  if (state === 'START_FAILED' || state === 'STOP_FAILED') throw startFailed(input.serverId, state);
  if (state === 'OFFLINE') {
    log.warn('server is OFFLINE; starting it', { serverId: input.serverId });
    await transfer.send(new StartServerCommand({ ServerId: input.serverId })).catch((err: unknown) => {
      rethrowAws(err, 'StartServer');
    });
  }
  return state;
}

function startFailed(serverId: string, state: string): Error {
  return nonRetryable(
    'ServerStartFailed',
    `Transfer server ${serverId} ended in ${state}: check transfer.loggingRole and the account's Transfer quotas, then start the sync again (the server is deleted).`,
    { serverId, state },
  );
}
