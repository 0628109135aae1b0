import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CreateServerCommand, TransferClient } from '@aws-sdk/client-transfer';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRunbookWorker } from '../worker/create-worker.js';
import { sftpJanitorWorkflow } from '../workflows/janitor.js';
import { addNotifyChannels } from './helpers/notify-site.js';
import { makeSyncSite, removeSite, startSyncSuite, type SyncFixture } from './helpers/sync-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';
import { slackText } from './helpers/webhook-receiver.js';

// A server the janitor deletes is worth telling: somebody's sync left it billing.

let env: TestWorkflowEnvironment;
let fx: SyncFixture;
suiteHooks(startSyncSuite, (suite) => ({ env, fx } = suite));

test('the janitor deletes an orphaned server and tells both channels why, and what it cost', async () => {
  const site = await makeSyncSite(fx, { transfer: { maxServerHours: 6, hourlyRate: 0.3 } });
  const channels = await addNotifyChannels(fx, site.configPath);
  const transfer = new TransferClient({ endpoint: fx.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  try {
    // Made three hours ago by a workflow Temporal never heard of.
    const { ServerId } = await transfer.send(new CreateServerCommand({
      Domain: 'EFS',
      Protocols: ['SFTP'],
      Tags: [
        { Key: 'runbook:workflowId', Value: 'sync-sample-site-lost' },
        { Key: 'runbook:runId', Value: '00000000-0000-0000-0000-000000000000' },
        { Key: 'runbook:site', Value: 'sample-site' },
        { Key: 'runbook:createdBy', Value: 'release-runbook' },
        { Key: 'runbook:createdAt', Value: new Date(Date.now() - 3 * 3_600_000).toISOString() },
      ],
    }));
    const taskQueue = uniqueTaskQueue('notify-janitor');
    const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
    const janitor = (name: string) => env.client.workflow.execute(sftpJanitorWorkflow, { taskQueue, workflowId: `notify-janitor-${name}-${Date.now()}`, args: [{ configPath: site.configPath }] });
    // The second run finds nothing to delete.
    const [report] = await worker.runUntil(async () => [await janitor('reaps'), await janitor('idle')]);
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
  } finally {
    transfer.destroy();
    await channels.receiver.close();
    await removeSite(site);
  }
});
