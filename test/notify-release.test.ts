import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { releaseWorkflow } from '../workflows/release.js';
import { releaseStatusQuery } from '../workflows/release-status.js';
import { siteLockId } from '../workflows/site-lock.js';
import { historyText } from './helpers/history-text.js';
import { addNotifyChannels } from './helpers/notify-site.js';
import { writeTree } from './helpers/sync-site.js';
import { makeReleaseSite, startReleaseSuite, type ReleaseFixture, type ReleaseSuite } from './helpers/release-site.js';
import { repoRoot, type SampleSite } from './helpers/sample-site.js';
import { uniqueTaskQueue } from './helpers/temporal-env.js';
import { slackText, type ReceivedPost } from './helpers/webhook-receiver.js';
import { waitFor } from './helpers/worker-process.js';
import { deployedResult } from './helpers/deploy-outcome.js';

// Releases with a Slack-like webhook (a local receiver, its URL in a Secrets Manager secret)
// and an SNS topic (the sim's), checked on what the receiver and the topic actually got.

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
let suite: ReleaseSuite | undefined;
const sites: SampleSite[] = [];
const closers: (() => Promise<void>)[] = [];
const taskQueue = uniqueTaskQueue('notify');
const run = promisify(execFile);

before(async () => {
  suite = await startReleaseSuite(taskQueue);
  ({ env, fx } = suite);
});
after(async () => {
  await Promise.all(closers.map((close) => close()));
  await suite?.stop();
  await Promise.all(sites.map((s) => rm(s.dir, { recursive: true, force: true })));
});

async function site(opts: { units?: number; unitMs?: number } = {}): Promise<SampleSite> {
  const made = await makeReleaseSite(fx, opts);
  sites.push(made);
  return made;
}

/** SNS messages to one topic, oldest first. */
async function topicMessages(topicArn: string): Promise<{ subject: string | null; message: string }[]> {
  return (await fx.control.snsPublished()).filter((m) => m.topicArn === topicArn);
}

test('a whole release with both channels: each event once, in order; the approve command in the message works; the URL is in no history', async () => {
  // The first compile step runs 3 s and is expected to take about 1 s.
  const s = await site({ units: 3, unitMs: 1000 });
  // The gate waits an hour (the test site's approvalTimeoutHours): remind 8 s after it opens.
  const channels = await addNotifyChannels(fx, s.configPath, { approvalReminderHours: 1 - 8 / 3600, expectedStepHours: { expression: 0.0003 } });
  closers.push(channels.receiver.close);
  const workflowId = `notify-release-${Date.now()}`;
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: s.configPath, requestedBy: 'dana' }] });

  const approval = await waitFor('the approval message in Slack', async () => channels.receiver.accepted().find((p) => /waits for approval/.test(p.body.text ?? '')), 180_000, 250);
  const text = slackText(approval);
  const status = await handle.query(releaseStatusQuery);
  assert.match(text, new RegExp(status.approval?.deploys?.image.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') ?? 'no image'), 'the image digest to be deployed');
  assert.match(text, new RegExp(status.approval?.deploys?.versionLabel ?? 'no label'));
  assert.match(text, /Open in the Temporal UI .*Send a Signal "approveDeploy"/);
  assert.match(text, new RegExp(`/namespaces/default/workflows/${workflowId}\\|`), 'the link opens the release');
  // The reminder comes while it still waits.
  await waitFor('the reminder that approval is about to time out', async () => channels.receiver.accepted().some((p) => /approval of .* times out at/.test(p.body.text ?? '')), 60_000, 250);

  // Run the approve command exactly as the message gives it.
  const command = /Approve: `([^`]+)`/.exec(text)?.[1];
  assert.ok(command?.startsWith(`npm run approve -- ${workflowId}`), text);
  const [program, ...args] = (command ?? '').split(' ');
  const approved = await run(program as string, args, { cwd: repoRoot, env: { ...process.env, TEMPORAL_ADDRESS: env.address, USER: 'erin' }, timeout: 60_000 });
  assert.match(approved.stdout, new RegExp(`${workflowId}: approved by erin`));
  const result = await handle.result();
  assert.equal(deployedResult(result.deploy).approvedBy, 'erin');

  const titles = [
    'sample-site: release started by dana',
    'sample-site: compile step "expression" still running after 1 s (expected 1 s)',
    `sample-site: release waits for approval to deploy ${result.deploy?.versionLabel}`,
    `sample-site: approval of ${result.deploy?.versionLabel} times out at`,
    'sample-site: deploy approved by erin',
    `sample-site: release finished in`,
  ];
  const slack = channels.receiver.received.map((p) => p.body.text ?? '');
  assert.equal(slack.length, titles.length, slack.join('\n'));
  titles.forEach((title, i) => assert.ok(slack[i]?.startsWith(title), `Slack message ${i}: ${slack[i]} should start with ${title}`));
  const email = await topicMessages(channels.topicArn);
  assert.equal(email.length, titles.length, email.map((m) => m.subject).join('\n'));
  titles.forEach((title, i) => assert.ok(email[i]?.subject?.startsWith(title.slice(0, 90)), `e-mail ${i}: ${email[i]?.subject}`));
  for (const m of email) assert.ok((m.subject?.length ?? 0) <= 100 && !/\n/.test(m.subject ?? ''), m.subject ?? '');
  // The e-mail body carries the same command on a line of its own, and the finished numbers.
  assert.match(email[2]?.message ?? '', new RegExp(`Approve:\\n    npm run approve -- ${workflowId}\\n`));
  const finished = email[titles.length - 1]?.message ?? '';
  assert.match(finished, new RegExp(`Files uploaded: +${result.sync?.uploaded.files}`));
  assert.match(finished, new RegExp(`Transfer server: +${Math.round(result.sync?.serverSeconds ?? -1)} server-seconds, about \\$${result.sync?.estimatedCost.toFixed(2)}`));
  assert.match(finished, new RegExp(`Version live: +${result.deploy?.versionLabel} on sample-site-prod`));

  assert.deepEqual(result.notifications?.failingChannels, []);
  // The release's own deliveries; the overrun is the compile child's to send.
  assert.equal(result.notifications?.sent, 2 * (titles.length - 1));

  // The hook's URL is a credential: no history of the release, its children or the site lock holds it.
  // The overrun message links the compile child, where the step runs.
  assert.match(slackText(channels.receiver.received[1] as ReceivedPost), new RegExp(`/workflows/${workflowId}-compile\\|`));
  const ids = [workflowId, `${workflowId}-compile`, `${workflowId}-sync`, `${workflowId}-deploy`, siteLockId('sample-site')];
  for (const id of ids) {
    const text = historyText(await env.client.workflow.getHandle(id).fetchHistory());
    assert.ok(text.length > 1000, `${id} has a history`);
    assert.ok(!text.includes(channels.canary), `${id}'s history holds the webhook URL`);
  }
});

test('a webhook that answers 500, then never answers: the release completes, the status names the channel, nothing is posted twice', async () => {
  const s = await site();
  const channels = await addNotifyChannels(fx, s.configPath, { timeoutSeconds: 1, attempts: 3 });
  closers.push(channels.receiver.close);
  channels.receiver.plan([500], 'hang');
  // A data-only release of data already compiled.
  await writeTree(path.join(s.dir, 'data'), { 'a/one.bin': 2000, 'b/two.bin': 3000 });
  const workflowId = `notify-broken-hook-${Date.now()}`;
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: s.configPath, stages: ['sync'], requestedBy: 'dana' }] });
  const result = await handle.result();
  assert.deepEqual(result.stages.map((x) => [x.stage, x.result]), [['sync', 'ok']]);
  // The broken channel held nothing up: the sync started at once.
  const sync = await env.client.workflow.getHandle(`${workflowId}-sync`).describe();
  const started = (await handle.describe()).startTime.getTime();
  assert.ok(sync.startTime.getTime() - started < 5_000, `the sync started ${sync.startTime.getTime() - started} ms after the release`);

  assert.deepEqual(result.notifications?.failingChannels, ['slack']);
  const status = await handle.query(releaseStatusQuery);
  assert.deepEqual(status.notifications?.failingChannels, ['slack']);
  const slackDeliveries = status.notifications?.deliveries.filter((d) => d.channel === 'slack') ?? [];
  assert.deepEqual(slackDeliveries.map((d) => [d.event, d.state]), [['release-started', 'failed'], ['release-finished', 'failed']]);
  assert.match(slackDeliveries[0]?.detail ?? '', /did not answer in time; it may have the message, so it is not sent again/);

  // The receiver: "started" refused once (500) then one unanswered post; "finished" one unanswered post; nothing accepted.
  const posts = channels.receiver.received.map((p) => [(p.body.text ?? '').replace(/ in .*$/, ''), p.answered]);
  assert.deepEqual(posts, [['sample-site: release started by dana', 500], ['sample-site: release started by dana', null], ['sample-site: release finished', null]]);
  assert.equal(channels.receiver.accepted().length, 0);
  // The other channel got both, once each.
  assert.deepEqual((await topicMessages(channels.topicArn)).map((m) => m.subject?.replace(/ in .*$/, '')), ['sample-site: release started by dana', 'sample-site: release finished']);
});

test('a stage that fails: one message with the stage, the child workflow, the cause and its link', async () => {
  const s = await site();
  // The first step exits 2, which the config calls not worth retrying.
  const config = JSON.parse(await readFile(s.configPath, 'utf8')) as { compile: { steps: { command: string[] }[] } };
  (config.compile.steps[0] as { command: string[] }).command = ['node', '-e', 'console.error("input table missing"); process.exit(2)'];
  await writeFile(s.configPath, JSON.stringify(config));
  const channels = await addNotifyChannels(fx, s.configPath);
  closers.push(channels.receiver.close);
  const workflowId = `notify-failed-stage-${Date.now()}`;
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: s.configPath, stages: ['compile'], requestedBy: 'dana' }] });
  await assert.rejects(handle.result(), WorkflowFailedError);
  const failed = channels.receiver.accepted().map((p) => slackText(p)).find((t) => /release failed at compile/.test(t));
  assert.ok(failed, channels.receiver.received.map((p) => p.body.text).join('\n'));
  assert.match(failed, new RegExp(`\\*Child workflow\\*\\n${workflowId}-compile`));
  assert.match(failed, /\*Cause\*\n\S/);
  assert.match(failed, new RegExp(`/workflows/${workflowId}-compile\\|Open the failed stage`));
  const email = await topicMessages(channels.topicArn);
  assert.deepEqual(email.map((m) => m.subject), ['sample-site: release started by dana', 'sample-site: release failed at compile']);
  const status = await handle.query(releaseStatusQuery);
  assert.equal(status.notifications?.sent, 4);
});

test('a rejected deploy: one message on each channel saying who rejected it and why', async () => {
  const s = await site();
  const channels = await addNotifyChannels(fx, s.configPath);
  closers.push(channels.receiver.close);
  const workflowId = `notify-rejected-${Date.now()}`;
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: s.configPath, stages: ['image', 'deploy'], requestedBy: 'dana' }] });
  const approval = await waitFor('the approval message in Slack', async () => channels.receiver.accepted().find((p) => /waits for approval/.test(p.body.text ?? '')), 180_000, 250);
  // The message's reject command, with a real reason in place of its placeholder.
  const command = /Reject: `([^`]+)`/.exec(slackText(approval))?.[1] ?? '';
  assert.equal(command, `npm run reject -- ${workflowId} --reason "why"`);
  const rejected = await run('npm', ['run', 'reject', '--', workflowId, '--reason', 'figures are stale'], { cwd: repoRoot, env: { ...process.env, TEMPORAL_ADDRESS: env.address, USER: 'carol' }, timeout: 60_000 });
  assert.match(rejected.stdout, new RegExp(`${workflowId}: rejected by carol`));
  await assert.rejects(handle.result(), WorkflowFailedError);

  const decided = channels.receiver.accepted().map((p) => slackText(p)).filter((t) => /deploy rejected/.test(t));
  assert.equal(decided.length, 1, channels.receiver.received.map((p) => p.body.text).join('\n'));
  assert.match(decided[0] ?? '', /^sample-site: deploy rejected by carol\n/);
  assert.match(decided[0] ?? '', /\*Reason\*\nfigures are stale/);
  const email = (await topicMessages(channels.topicArn)).filter((m) => /deploy rejected/.test(m.subject ?? ''));
  assert.deepEqual(email.map((m) => m.subject), ['sample-site: deploy rejected by carol']);
  assert.match(email[0]?.message ?? '', /Reason: +figures are stale/);
  // Nobody is told it was approved.
  assert.ok(!channels.receiver.received.some((p) => /approved by/.test(p.body.text ?? '')));
});
