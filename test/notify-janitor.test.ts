import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeleteServerCommand, TransferClient } from '@aws-sdk/client-transfer';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRunbookWorker } from '../worker/create-worker.js';
import { janitorStatusQuery, sftpJanitorWorkflow } from '../workflows/janitor.js';
import { addNotifyChannels } from './helpers/notify-site.js';
import { createOrphanedServer, makeSyncSite, removeSite, startSyncSuite, type SyncFixture } from './helpers/sync-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';
import { slackText } from './helpers/webhook-receiver.js';

// A server the janitor deletes is worth telling: somebody's sync left it billing.

let env: TestWorkflowEnvironment;
let fx: SyncFixture;
suiteHooks(startSyncSuite, (suite) => ({ env, fx } = suite));

const transferClient = (): TransferClient => new TransferClient({ endpoint: fx.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });

test('the janitor deletes an orphaned server and tells both channels why, and what it cost', async () => {
  const site = await makeSyncSite(fx, { transfer: { maxServerHours: 6, hourlyRate: 0.3 } });
  const channels = await addNotifyChannels(fx, site.configPath);
  try {
    const ServerId = await createOrphanedServer(fx, 3);
    const taskQueue = uniqueTaskQueue('notify-janitor');
    const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
    const reapId = `notify-janitor-reaps-${Date.now()}`;
    const janitor = (workflowId: string) => env.client.workflow.execute(sftpJanitorWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath }] });
    // The second run finds nothing to delete.
    const [report] = await worker.runUntil(async () => [await janitor(reapId), await janitor(`notify-janitor-idle-${Date.now()}`)]);
    assert.deepEqual(report?.deleted.map((d) => d.serverId), [ServerId]);
    assert.equal((await fx.control.ledger()).alive, 0);

    const posts = channels.receiver.accepted();
    assert.equal(posts.length, 1);
    const text = slackText(posts[0] as (typeof posts)[number]);
    assert.match(text, new RegExp(`sample-site: janitor deleted Transfer server ${ServerId}`));
    assert.match(text, /\*Why\*\nno workflow run it names exists/);
    assert.match(text, /\*Owner\*\nsync-sample-site-lost/);
    // Three hours at $0.30.
    assert.match(text, /\*Cost so far\*\n\$0\.90 over 3\.0 h/);
    const email = (await fx.control.snsPublished()).filter((m) => m.topicArn === channels.topicArn);
    assert.deepEqual(email.map((m) => m.subject), [`sample-site: janitor deleted Transfer server ${ServerId}`]);

    // The idle run told nobody.
    assert.equal(channels.receiver.received.length, 1);
    // The message went to the host queue of the worker that loaded the config, whose disk holds
    // its sent record: a retry goes back there and finds it, whichever worker took the run.
    const scheduled = (await env.client.workflow.getHandle(reapId).fetchHistory()).events?.flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a ? [[a.activityType?.name, a.taskQueue?.name]] : [];
    });
    const queueOf = (name: string) => scheduled?.filter(([type]) => type === name).map(([, queue]) => queue);
    assert.equal(queueOf('sendNotification')?.length, 2);
    assert.ok(queueOf('sendNotification')?.every((q) => q === queueOf('loadSiteConfig')?.[0] && q?.startsWith(`${taskQueue}@`)), JSON.stringify(scheduled));
  } finally {
    await channels.receiver.close();
    await removeSite(site);
  }
});

test('a janitor run that cannot delete a server fails, says so in its status, and tells both channels once', async () => {
  const site = await makeSyncSite(fx);
  const channels = await addNotifyChannels(fx, site.configPath);
  const transfer = transferClient();
  const serverId = await createOrphanedServer(fx, 3);
  // Until cleared: the worker's role may not delete servers, which no retry fixes.
  await fx.control.addFault({ service: 'transfer', operation: 'DeleteServer', errorCode: 'AccessDeniedException', message: 'not allowed to transfer:DeleteServer' });
  try {
    const taskQueue = uniqueTaskQueue('notify-janitor-failed');
    const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
    const status = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(sftpJanitorWorkflow, { taskQueue, workflowId: `notify-janitor-failed-${Date.now()}`, args: [{ configPath: site.configPath }] });
      const err = await handle.result().then(() => assert.fail('the janitor run must fail'), (e: unknown) => e);
      assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure, String(err));
      assert.equal(err.cause.type, 'JanitorDeleteFailed');
      return handle.query(janitorStatusQuery);
    });
    assert.equal(status.stage, 'failed');
    assert.match(status.lastLine ?? '', new RegExp(`could not delete ${serverId}: .*AccessDeniedException`));

    const posts = channels.receiver.received;
    assert.equal(posts.length, 1, posts.map((p) => p.body.text).join('\n'));
    const text = slackText(posts[0] as (typeof posts)[number]);
    assert.match(text, new RegExp(`^sample-site: janitor run failed, ${serverId} may still bill\n`));
    assert.match(text, new RegExp(`\\*Servers\\*\n${serverId}\n`));
    assert.match(text, /\*Cause\*\nThe janitor could not delete 1 Transfer server\(s\), which still bill: .*AccessDeniedException/);
    const email = (await fx.control.snsPublished()).filter((m) => m.topicArn === channels.topicArn);
    assert.deepEqual(email.map((m) => m.subject), [`sample-site: janitor run failed, ${serverId} may still bill`]);
    assert.match(email[0]?.message ?? '', new RegExp(`Delete it:\n    aws transfer delete-server --server-id ${serverId}`));

    const left = (await fx.control.ledger()).servers.find((s) => s.serverId === serverId);
    assert.equal(left?.deletedAt, null, 'the server is still alive (and billing)');
  } finally {
    await fx.control.clearFaults();
    await transfer.send(new DeleteServerCommand({ ServerId: serverId }));
    transfer.destroy();
    await channels.receiver.close();
    await removeSite(site);
  }
  assert.equal((await fx.control.ledger()).alive, 0);
});
