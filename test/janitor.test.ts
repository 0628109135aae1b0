import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { CreateServerCommand, DeleteServerCommand, TransferClient, type Tag } from '@aws-sdk/client-transfer';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRunbookWorker } from '../worker/create-worker.js';
import { sftpJanitorWorkflow } from '../workflows/janitor.js';
import { syncDataWorkflow } from '../workflows/sync.js';
import { repoRoot } from './helpers/sample-site.js';
import { makeSyncSite, removeSite, startSyncSim, writeTree, type SyncFixture } from './helpers/sync-site.js';
import { startDevServer, uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';
import { readdir } from 'node:fs/promises';
import { startWorkerProcess, waitFor } from './helpers/worker-process.js';

const run = promisify(execFile);
let env: TestWorkflowEnvironment;
let fx: SyncFixture;
let transfer: TransferClient;
before(async () => {
  [env, fx] = await Promise.all([startDevServer(), startSyncSim()]);
  transfer = new TransferClient({ endpoint: fx.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
});
after(async () => {
  transfer?.destroy();
  await fx?.close();
  await env?.teardown();
});

function runbookTags(workflowId: string, runId: string, createdAt = new Date()): Tag[] {
  return [
    { Key: 'runbook:workflowId', Value: workflowId },
    { Key: 'runbook:runId', Value: runId },
    { Key: 'runbook:site', Value: 'sample-site' },
    { Key: 'runbook:createdBy', Value: 'release-runbook' },
    { Key: 'runbook:createdAt', Value: createdAt.toISOString() },
  ];
}

async function createServer(tags: Tag[]): Promise<string> {
  const { ServerId } = await transfer.send(new CreateServerCommand({ Domain: 'EFS', Protocols: ['SFTP'], Tags: tags }));
  return ServerId as string;
}

test('the janitor deletes orphans and over-age servers, keeps a running sync\'s server and servers not ours', async () => {
  const site = await makeSyncSite(fx, { transfer: { maxServerHours: 6 } });
  await writeTree(site.dataDir, { 'a.bin': 10 });
  const taskQueue = uniqueTaskQueue('janitor');
  // A sync that stays RUNNING (nobody polls its queue), and one that completed.
  const running = await env.client.workflow.start(syncDataWorkflow, { taskQueue: `${taskQueue}-idle`, workflowId: `janitor-running-${Date.now()}`, args: [{ configPath: site.configPath, dryRun: true }] });
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  try {
    await worker.runUntil(async () => {
      const finished = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `janitor-done-${Date.now()}`, args: [{ configPath: site.configPath, dryRun: true }] });
      await finished.result();

      const orphanOfClosed = await createServer(runbookTags(finished.workflowId, finished.firstExecutionRunId));
      const orphanOfNobody = await createServer(runbookTags('sync-sample-site-never-existed', '00000000-0000-0000-0000-000000000000'));
      const live = await createServer(runbookTags(running.workflowId, running.firstExecutionRunId));
      const tooOld = await createServer(runbookTags(running.workflowId, running.firstExecutionRunId, new Date(Date.now() - 7 * 3_600_000)));
      const notOurs = await createServer([{ Key: 'team', Value: 'someone-else' }]);

      const report = await env.client.workflow.execute(sftpJanitorWorkflow, { taskQueue, workflowId: `janitor-${Date.now()}`, args: [{ configPath: site.configPath }] });
      const reasons = Object.fromEntries(report.deleted.map((d) => [d.serverId, d.reason]));
      assert.deepEqual(reasons, { [orphanOfClosed]: 'owner-closed', [orphanOfNobody]: 'owner-not-found', [tooOld]: 'too-old' });
      assert.deepEqual(report.kept.map((k) => k.serverId), [live]);
      assert.equal(report.checked, 4, 'servers without runbook tags are not even considered');
      assert.deepEqual(report.failed, []);

      const alive = (await fx.control.ledger()).servers.filter((s) => s.deletedAt === null).map((s) => s.serverId).sort();
      assert.deepEqual(alive, [live, notOurs].sort());

      // Once the owning workflow closes, its server goes on the next sweep.
      await running.terminate('test over');
      const second = await env.client.workflow.execute(sftpJanitorWorkflow, { taskQueue, workflowId: `janitor-2-${Date.now()}`, args: [{ configPath: site.configPath }] });
      assert.deepEqual(second.deleted.map((d) => [d.serverId, d.reason, d.ownerStatus]), [[live, 'owner-closed', 'TERMINATED']]);
      await transfer.send(new DeleteServerCommand({ ServerId: notOurs }));
    });
    assert.equal((await fx.control.ledger()).alive, 0);
  } finally {
    await running.terminate().catch(() => undefined);
    await removeSite(site);
  }
});

test('npm run schedule creates, lists, triggers and deletes the janitor schedule', async () => {
  const site = await makeSyncSite(fx);
  const taskQueue = uniqueTaskQueue('janitor-schedule');
  const cli = (...args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'client', 'schedule.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue, RUNBOOK_CONFIG: '' },
    });
  const orphan = await createServer(runbookTags('sync-sample-site-gone', '00000000-0000-0000-0000-000000000001'));
  // The schedule names the site; this in-process worker finds the site's config through RUNBOOK_CONFIG.
  process.env.RUNBOOK_CONFIG = site.configPath;
  const scheduleId = 'release-runbook-janitor-sample-site';
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  try {
    await worker.runUntil(async () => {
      const created = await cli('create', 'janitor', '--config', site.configPath, '--json');
      const summary = JSON.parse(created.stdout) as { scheduleId: string; action: string; spec: { intervals: { every: string }[] } };
      assert.equal(summary.scheduleId, scheduleId);
      assert.equal(summary.action, 'created');
      assert.equal(summary.spec.intervals[0]?.every, '15m', 'every 15 minutes by default');
      assert.equal(JSON.parse((await cli('create', 'janitor', '--every', '1h', '--config', site.configPath, '--json')).stdout).action, 'updated');

      const described = await env.client.schedule.getHandle(scheduleId).describe();
      assert.equal(described.policies.overlap, 'SKIP');
      assert.deepEqual(described.action.type === 'startWorkflow' ? described.action.args : [], [{ site: 'sample-site' }], 'the schedule names the site, not a path of this machine');
      assert.equal(described.action.type === 'startWorkflow' ? described.action.workflowType : '', 'sftpJanitorWorkflow');

      const listed = JSON.parse((await cli('list', '--json')).stdout) as { scheduleId: string }[];
      assert.deepEqual(listed.map((s) => s.scheduleId), [scheduleId]);

      await cli('trigger', 'janitor', '--site', 'sample-site');
      await waitFor('the scheduled janitor to delete the orphan', async () => (await fx.control.ledger()).alive === 0, 30_000, 200);

      await cli('delete', 'janitor', '--site', 'sample-site');
      const err = await cli('delete', 'janitor', '--site', 'sample-site').then(() => assert.fail('deleting twice must fail'), (e: { code: number; stderr: string }) => e);
      assert.equal(err.code, 2);
      assert.match(err.stderr, /no schedule "release-runbook-janitor-sample-site" .*create it with npm run schedule -- create janitor --site sample-site/);
      const bad = await cli('create', 'janitor', '--site', 'sample-site', '--every', '15 minutes').then(() => assert.fail('must refuse'), (e: { code: number; stderr: string }) => e);
      assert.match(bad.stderr, /--every "15 minutes" must be a whole number with a unit s, m, h or d/);
    });
    const ledger = await fx.control.ledger();
    assert.ok(ledger.servers.some((s) => s.serverId === orphan && s.deletedAt !== null));
    assert.equal(ledger.alive, 0);
  } finally {
    delete process.env.RUNBOOK_CONFIG;
    await env.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await removeSite(site);
  }
});

// Terminate (unlike cancel) runs no teardown: only the janitor stops the server billing, and
// nobody creates its schedule by hand: the worker does, at start, for the site it serves.
test('a sync terminated mid-upload: the janitor schedule the worker made deletes its server within its interval', async () => {
  const site = await makeSyncSite(fx, { data: { parallelism: 1 }, transfer: { janitorEveryMinutes: 1 } });
  await writeTree(site.dataDir, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`t-${String(i).padStart(2, '0')}.bin`, 1_500_000])));
  const taskQueue = uniqueTaskQueue('janitor-terminated');
  const scheduleId = 'release-runbook-janitor-sample-site';
  await env.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
  const worker = await startWorkerProcess({ address: env.address, taskQueue, env: { RUNBOOK_CONFIG: site.configPath } });
  try {
    assert.match(worker.output(), /janitor schedule release-runbook-janitor-sample-site (created|updated): every 1m/);
    const described = await env.client.schedule.getHandle(scheduleId).describe();
    assert.deepEqual(described.action.type === 'startWorkflow' ? [described.action.taskQueue, described.action.args] : [], [taskQueue, [{ site: 'sample-site' }]]);

    const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `sync-terminated-${Date.now()}`, args: [{ site: 'sample-site' }] });
    await waitFor('a few files uploaded', async () => (await readdir(fx.remoteDir).catch(() => [] as string[])).filter((n) => n.startsWith('t-')).length >= 2, 90_000, 20);
    await handle.terminate('terminated from the UI mid-upload');
    const orphan = (await fx.control.ledger()).servers.find((s) => s.deletedAt === null && s.tags['runbook:workflowId'] === handle.workflowId);
    assert.ok(orphan, 'the terminated sync left its server running (no teardown runs on terminate)');

    // Interval 1 minute: the server goes within it (plus the run's own few seconds).
    const terminatedAt = Date.now();
    const gone = await waitFor('the scheduled janitor to delete the orphan', async () => {
      const server = (await fx.control.ledger()).servers.find((s) => s.serverId === orphan.serverId);
      return server?.deletedAt ? server : undefined;
    }, 100_000, 500);
    assert.ok(Date.parse(String(gone.deletedAt)) - terminatedAt < 90_000, 'deleted within the janitor\'s interval');
    assert.equal((await fx.control.ledger()).alive, 0);
    const runs = (await env.client.schedule.getHandle(scheduleId).describe()).info.recentActions;
    assert.ok(runs.length >= 1, 'the deletion came from a scheduled run');
  } finally {
    await worker.stop();
    await env.client.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await removeSite(site);
  }
});
