import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { DeleteServerCommand, TransferClient } from '@aws-sdk/client-transfer';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { syncDataWorkflow } from '../workflows/sync.js';
import { addNotifyChannels } from './helpers/notify-site.js';
import { makeSyncSite, removeSite, snapshotTree, startSyncSuite, writeTree, type SyncFixture } from './helpers/sync-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { withWorker } from './helpers/temporal-env.js';
import { slackText } from './helpers/webhook-receiver.js';

let env: TestWorkflowEnvironment;
let fx: SyncFixture;
suiteHooks(startSyncSuite, (suite) => ({ env, fx } = suite));

const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`part-${String(i).padStart(2, '0')}.feather`, 400_000]));

test('a dropped SFTP connection and throttled Transfer calls are survived; the private key never reaches history', async () => {
  const serversBefore = (await fx.control.ledger()).servers.length;
  const site = await makeSyncSite(fx, { data: { parallelism: 2 } });
  await writeTree(site.dataDir, files);
  // The first attempt's SFTP connections are cut after ~1.5 MB (both: whichever logs in first,
  // the other may carry the files); every step of the server's life is throttled a few times
  // (counted, so the SDK's adaptive backoff stays in seconds).
  await fx.control.addFault({ service: 'sftp', dropAfterBytes: 1_500_000, count: 2 });
  for (const operation of ['CreateServer', 'DescribeServer', 'ImportSshPublicKey', 'DeleteServer']) {
    await fx.control.addFault({ service: 'transfer', operation, errorCode: 'ThrottlingException', count: 1 });
  }
  try {
    await withWorker(env, 'sync-faults', async (taskQueue) => {
      const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `sync-faults-${Date.now()}`, args: [{ configPath: site.configPath }] });
      const result = await handle.result();
      assert.deepEqual(await snapshotTree(fx.remoteDir), await snapshotTree(site.dataDir));
      assert.deepEqual(result.uploaded, { files: 12, bytes: 12 * 400_000 }, 'every file counted once, across attempts');
      assert.ok(result.uploadAttempt >= 2, `the upload resumed (attempt ${result.uploadAttempt})`);

      const faults = await fx.control.faults();
      assert.ok(faults.every((f) => f.fired > 0), 'both faults fired');

      const history = JSON.stringify(await handle.fetchHistory());
      for (const secret of ['PRIVATE KEY', 'openssh-key-v1', 'b3BlbnNzaC1rZXktdjE', 'ssh-ed25519']) {
        assert.ok(!history.includes(secret), `history must not contain "${secret}"`);
      }
    });
    await fx.control.clearFaults();
    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length - serversBefore, 1, 'retries never created a second server');
    assert.equal(ledger.alive, 0);
  } finally {
    await fx.control.clearFaults();
    await removeSite(site);
  }
});

test('the cost guard stops a run that would outlive transfer.maxServerHours, tears down and says how far it got', async () => {
  const serversBefore = (await fx.control.ledger()).servers.length;
  // 2.9 s of allowance minus the teardown margin: the server starts (0.5 s) but the upload of
  // 60 MB one file at a time cannot finish.
  const site = await makeSyncSite(fx, { data: { parallelism: 1 }, transfer: { maxServerHours: 0.0008 } });
  await writeTree(site.dataDir, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`chunk-${i}.bin`, 2_000_000])));
  // A slow link (each write answered 300 ms later): the parallel engine sent all 60 MB on
  // loopback within the allowance now and then.
  await fx.control.addFault({ service: 'sftp', latencyMs: 300 });
  try {
    await withWorker(env, 'sync-faults', async (taskQueue) => {
      const err = await env.client.workflow
        .execute(syncDataWorkflow, { taskQueue, workflowId: `sync-cost-${Date.now()}`, args: [{ configPath: site.configPath }] })
        .then(() => assert.fail('the cost guard must stop this run'), (e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ActivityFailure);
      assert.ok(err.cause.cause instanceof ApplicationFailure);
      assert.equal(err.cause.cause.type, 'CostLimitExceeded');
      assert.match(err.cause.cause.message, /of 30 files .*transfer\.maxServerHours = 0\.0008/);
    });
    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length - serversBefore, 1);
    assert.equal(ledger.alive, 0);
    assert.ok((ledger.servers.at(-1)?.billedSeconds ?? 99) < 0.0008 * 3600 + 2, `billed ${ledger.servers.at(-1)?.billedSeconds}s`);
  } finally {
    await fx.control.clearFaults();
    await removeSite(site);
  }
});

test('waiting for ONLINE: START_FAILED fails at once (ServerStartFailed), a server stuck STARTING stops at the cost guard; both are deleted', async () => {
  const serversBefore = (await fx.control.ledger()).servers.length;
  const failed = await makeSyncSite(fx);
  const stuck = await makeSyncSite(fx, { transfer: { maxServerHours: 0.0008 } });
  await writeTree(failed.dataDir, { 'a.bin': 1_000 });
  await writeTree(stuck.dataDir, { 'a.bin': 1_000 });
  try {
    await withWorker(env, 'sync-faults', async (taskQueue) => {
      const failure = async (configPath: string, id: string): Promise<ApplicationFailure> => {
        const err = await env.client.workflow
          .execute(syncDataWorkflow, { taskQueue, workflowId: `${id}-${Date.now()}`, args: [{ configPath }] })
          .then(() => assert.fail('the sync must fail'), (e: unknown) => e);
        assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure && err.cause.cause instanceof ApplicationFailure, String(err));
        assert.equal(err.cause.activityType, 'waitForServerOnline');
        return err.cause.cause;
      };
      await fx.control.addFault({ service: 'transfer', operation: 'CreateServer', serverState: 'START_FAILED', count: 1 });
      const startFailed = await failure(failed.configPath, 'sync-start-failed');
      assert.equal(startFailed.type, 'ServerStartFailed');
      assert.match(startFailed.message, /START_FAILED/);

      await fx.control.addFault({ service: 'transfer', serverState: 'STUCK_STARTING', count: 1 });
      const guarded = await failure(stuck.configPath, 'sync-stuck-starting');
      assert.equal(guarded.type, 'CostLimitExceeded');
      assert.match(guarded.message, /STARTING/);
    });
    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length - serversBefore, 2);
    assert.equal(ledger.alive, 0);
  } finally {
    await fx.control.clearFaults();
    await removeSite(failed);
    await removeSite(stuck);
  }
});

test('a server the teardown cannot delete is reported once on both channels, with its id and its cost so far', async () => {
  // $1 a second, so a few seconds of life show up in the cost.
  const site = await makeSyncSite(fx, { transfer: { hourlyRate: 3600, perGbRate: 0 } });
  await writeTree(site.dataDir, { 'a.bin': 1_000 });
  const channels = await addNotifyChannels(fx, site.configPath);
  const transfer = new TransferClient({ endpoint: fx.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  // Until cleared: access denied is not retried, so the teardown gives up on its first attempt.
  await fx.control.addFault({ service: 'transfer', operation: 'DeleteServer', errorCode: 'AccessDeniedException', message: 'not allowed to transfer:DeleteServer' });
  let serverId: string | undefined;
  try {
    await withWorker(env, 'sync-server-left', async (taskQueue) => {
      const err = await env.client.workflow
        .execute(syncDataWorkflow, { taskQueue, workflowId: `sync-server-left-${Date.now()}`, args: [{ configPath: site.configPath }] })
        .then(() => assert.fail('a sync whose server stays must fail'), (e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure, String(err));
      assert.equal(err.cause.type, 'TeardownFailed');
      serverId = (err.cause.details?.[0] as { serverId?: string } | undefined)?.serverId;
    });
    assert.ok(serverId, 'the failure names the server');
    const ledger = await fx.control.ledger();
    const left = ledger.servers.find((s) => s.serverId === serverId);
    assert.equal(left?.deletedAt, null, 'the server is still alive (and billing)');

    const posts = channels.receiver.accepted();
    assert.equal(posts.length, 1, 'one webhook message');
    const text = slackText(posts[0] as (typeof posts)[number]);
    assert.match(text, new RegExp(`sample-site: Transfer server ${serverId} could not be deleted`));
    assert.match(text, /AccessDeniedException/);
    const cost = /\*Cost so far\*\n\$(\d+\.\d\d) \((\d+) server-seconds\)/.exec(text);
    assert.ok(cost, text);
    const [dollars, seconds] = [Number(cost[1]), Number(cost[2])];
    assert.ok(seconds > 0 && seconds <= (left?.billedSeconds ?? 0) + 1, `${seconds} server-seconds, the ledger billed ${left?.billedSeconds}`);
    assert.ok(Math.abs(dollars - seconds) <= 1, `$${dollars} for ${seconds} s at $1/s`);
    const email = (await fx.control.snsPublished()).filter((m) => m.topicArn === channels.topicArn);
    assert.equal(email.length, 1, 'one e-mail');
    assert.match(email[0]?.subject ?? '', new RegExp(`Transfer server ${serverId} could not be deleted`));
    assert.match(email[0]?.message ?? '', new RegExp(`Cost so far: +\\$${cost[1]} \\(${cost[2]} server-seconds\\)`));
  } finally {
    await fx.control.clearFaults();
    if (serverId) await transfer.send(new DeleteServerCommand({ ServerId: serverId }));
    transfer.destroy();
    await channels.receiver.close();
    await removeSite(site);
  }
  assert.equal((await fx.control.ledger()).alive, 0);
});
