import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseWorkflow } from '../workflows/release.js';
import { releaseStatusQuery } from '../workflows/release-status.js';
import { addNotifyChannels, type NotifyChannels } from './helpers/notify-site.js';
import { makeReleaseSite, startReleaseSim, type ReleaseFixture } from './helpers/release-site.js';
import type { SampleSite } from './helpers/sample-site.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker-process.js';

// A worker SIGKILLed while a notification activity runs: the next worker's retry sends the
// message if it had not left, and never posts it a second time if it may have. The kill hits
// the "release finished" message, the one thing running then, so no other activity of the
// dead worker has to time out first.

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
const sites: SampleSite[] = [];
const closers: (() => Promise<void>)[] = [];

before(async () => {
  [env, fx] = await Promise.all([startDevServer(), startReleaseSim()]);
});
after(async () => {
  await Promise.all(closers.map((close) => close()));
  await env?.teardown();
  await fx?.close();
  await Promise.all(sites.map((s) => rm(s.dir, { recursive: true, force: true })));
});

async function compileRelease(taskQueue: string, name: string): Promise<{ channels: NotifyChannels; handle: Awaited<ReturnType<typeof env.client.workflow.start<typeof releaseWorkflow>>> ; first: WorkerProcess }> {
  const site = await makeReleaseSite(fx);
  sites.push(site);
  const channels = await addNotifyChannels(fx, site.configPath, { timeoutSeconds: 2 });
  closers.push(channels.receiver.close);
  const first = await startWorkerProcess({ address: env.address, taskQueue });
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `notify-crash-${name}-${Date.now()}`, args: [{ configPath: site.configPath, stages: ['compile'], requestedBy: 'dana' }] });
  return { channels, handle, first };
}

/** Notification activities the release still waits for. */
async function pendingNotifications(handle: { describe: () => Promise<{ raw: { pendingActivities?: { activityType?: { name?: string | null } | null }[] | null } }> }): Promise<number> {
  return ((await handle.describe()).raw.pendingActivities ?? []).filter((a) => a.activityType?.name === 'sendNotification').length;
}

test('killed before the request left (reading the webhook secret): the retry sends it, once', async () => {
  const taskQueue = uniqueTaskQueue('notify-crash-early');
  const { channels, handle, first } = await compileRelease(taskQueue, 'early');
  try {
    await waitFor('the "started" message', async () => channels.receiver.accepted().length === 1, 120_000, 50);
    // The next secret read is the "finished" message's webhook: it takes 6 s, and the kill lands inside it,
    // once the e-mail of that event is done (so only the webhook's attempt dies).
    await fx.control.addFault({ service: 'secretsmanager', operation: 'GetSecretValue', latencyMs: 6000, count: 1 });
    await waitFor('the webhook activity to be reading its secret, alone', async () => {
      const fired = (await fx.control.faults()).some((f) => f.spec.service === 'secretsmanager' && f.fired === 1);
      return fired && (await pendingNotifications(handle)) === 1;
    }, 120_000, 50);
  } finally {
    await first.crash();
  }
  assert.equal(channels.receiver.received.length, 1, 'nothing more was posted before the kill');
  const second = await startWorkerProcess({ address: env.address, taskQueue });
  try {
    await handle.result();
    const status = await handle.query(releaseStatusQuery);
    assert.deepEqual(status.notifications?.failingChannels, []);
    assert.deepEqual(channels.receiver.accepted().map((p) => p.body.text?.replace(/ in .*$/, '')), ['sample-site: release started by dana', 'sample-site: release finished']);
    assert.equal(channels.receiver.received.length, 2, 'each message posted once');
  } finally {
    await second.stop();
    await fx.control.clearFaults();
  }
});

test('killed while the requests were out (the hook and SNS had them, no answer yet): the retry posts neither again', async () => {
  const taskQueue = uniqueTaskQueue('notify-crash-late');
  const { channels, handle, first } = await compileRelease(taskQueue, 'late');
  channels.receiver.plan(['ok', 'hold']);
  const published = async (): Promise<(string | undefined)[]> =>
    (await fx.control.snsPublished()).filter((m) => m.topicArn === channels.topicArn).map((m) => m.subject?.replace(/ in .*$/, ''));
  try {
    await waitFor('the "started" e-mail', async () => (await published()).length === 1, 120_000, 50);
    // The next Publish is the "finished" one: SNS takes 10 s to answer it, so the kill finds it out.
    await fx.control.addFault({ service: 'sns', operation: 'Publish', latencyMs: 10_000, count: 1 });
    await waitFor('the hook to hold the "finished" post', async () => channels.receiver.received.length === 2, 120_000, 50);
    // And SNS to be sitting on the "finished" Publish (the fault fires when the request has arrived).
    await waitFor('SNS to hold the "finished" Publish', async () => (await fx.control.faults()).some((f) => f.spec.service === 'sns' && f.fired === 1), 30_000, 50);
  } finally {
    await first.crash();
  }
  // The hook answers the dead connection: it has the message, the sender never learnt it.
  channels.receiver.releaseHeld();
  const second = await startWorkerProcess({ address: env.address, taskQueue });
  try {
    await handle.result();
    const finished = channels.receiver.received.filter((p) => /release finished/.test(p.body.text ?? ''));
    assert.equal(finished.length, 1, 'the "finished" message was posted once, by the killed worker');
    assert.equal(channels.receiver.received.length, 2);
    // The sender cannot know the hook took it, and says so rather than posting it again.
    const status = await handle.query(releaseStatusQuery);
    const delivery = status.notifications?.deliveries.find((d) => d.channel === 'slack' && d.event === 'release-finished');
    assert.equal(delivery?.state, 'failed');
    assert.match(delivery?.detail ?? '', /may already have release-finished .*it is not sent again so nobody gets it twice/);
    assert.deepEqual(status.notifications?.failingChannels, ['slack', 'ops-email']);
    // SNS took the one Publish the killed worker sent (once its 10 s are up); the retry sent none.
    await waitFor('SNS to answer the held Publish', async () => (await published()).length >= 2, 30_000, 200);
    assert.deepEqual(await published(), ['sample-site: release started by dana', 'sample-site: release finished']);
  } finally {
    await second.stop();
  }
});
