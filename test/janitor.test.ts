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
import { waitFor } from './helpers/worker-process.js';

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
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  try {
    await worker.runUntil(async () => {
      const created = await cli('create', 'janitor', '--config', site.configPath, '--json');
      const summary = JSON.parse(created.stdout) as { scheduleId: string; action: string; spec: { intervals: { every: string }[] } };
      assert.equal(summary.scheduleId, 'release-runbook-janitor');
      assert.equal(summary.action, 'created');
      assert.equal(summary.spec.intervals[0]?.every, '15m', 'every 15 minutes by default');
      assert.equal(JSON.parse((await cli('create', 'janitor', '--every', '1h', '--config', site.configPath, '--json')).stdout).action, 'updated');

      const described = await env.client.schedule.getHandle('release-runbook-janitor').describe();
      assert.equal(described.policies.overlap, 'SKIP');
      assert.equal(described.action.type === 'startWorkflow' ? described.action.workflowType : '', 'sftpJanitorWorkflow');

      const listed = JSON.parse((await cli('list', '--json')).stdout) as { scheduleId: string }[];
      assert.deepEqual(listed.map((s) => s.scheduleId), ['release-runbook-janitor']);

      await cli('trigger', 'janitor');
      await waitFor('the scheduled janitor to delete the orphan', async () => (await fx.control.ledger()).alive === 0, 30_000, 200);

      await cli('delete', 'janitor');
      const err = await cli('delete', 'janitor').then(() => assert.fail('deleting twice must fail'), (e: { code: number; stderr: string }) => e);
      assert.equal(err.code, 2);
      assert.match(err.stderr, /no schedule "release-runbook-janitor" .*create it with npm run schedule -- create janitor/);
      const bad = await cli('create', 'janitor', '--every', '15 minutes').then(() => assert.fail('must refuse'), (e: { code: number; stderr: string }) => e);
      assert.match(bad.stderr, /--every "15 minutes" must be a whole number with a unit s, m, h or d/);
    });
    const ledger = await fx.control.ledger();
    assert.ok(ledger.servers.some((s) => s.serverId === orphan && s.deletedAt !== null));
    assert.equal(ledger.alive, 0);
  } finally {
    await env.client.schedule.getHandle('release-runbook-janitor').delete().catch(() => undefined);
    await removeSite(site);
  }
});
