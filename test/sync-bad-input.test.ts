import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRunbookWorker } from '../worker/create-worker.js';
import { syncDataWorkflow } from '../workflows/sync.js';
import { makeSyncSite, removeSite, startSyncSim, writeTree, type SyncFixture } from './helpers/sync-site.js';
import { startDevServer, uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';

let env: TestWorkflowEnvironment;
let fx: SyncFixture;
before(async () => {
  [env, fx] = await Promise.all([startDevServer(), startSyncSim()]);
});
after(async () => {
  await fx?.close();
  await env?.teardown();
});

async function expectFailure(site: { configPath: string }, input: Record<string, unknown>, type: string, message: RegExp): Promise<void> {
  const taskQueue = uniqueTaskQueue('sync-bad');
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  await worker.runUntil(async () => {
    const err = await env.client.workflow
      .execute(syncDataWorkflow, { taskQueue, workflowId: `sync-bad-${Date.now()}`, args: [{ configPath: site.configPath, ...input }] })
      .then(() => assert.fail('must fail'), (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    const app = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
    assert.ok(app instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(app)}`);
    assert.equal(app.type, type);
    assert.match(app.message, message);
  });
}

test('a missing local dir, an unknown file system and a bad role fail before any server exists', async () => {
  const site = await makeSyncSite(fx);
  await writeTree(site.dataDir, { 'a.bin': 10 });
  try {
    await rm(site.dataDir, { recursive: true });
    await expectFailure(site, {}, 'InvalidDataDir', /^data\.localDir \/.*\/data\/site does not exist: run the compile first, or point data\.localDir at the directory to upload\.$/);
    await expectFailure(site, { localDir: 'no/such/dir' }, 'InvalidDataDir', /^input "localDir" .*no\/such\/dir does not exist/);
    await writeTree(site.dataDir, { 'a.bin': 10 });

    const noFs = await makeSyncSite(fx, { transfer: { efsFileSystem: 'fs-0000000000000dead' } });
    await writeTree(noFs.dataDir, { 'a.bin': 10 });
    await expectFailure(noFs, {}, 'FileSystemNotFound', /^transfer\.efsFileSystem "fs-0000000000000dead" is not an EFS file system in us-east-1 .*: use an id from/);
    const noName = await makeSyncSite(fx, { transfer: { efsFileSystem: 'no-such-fs' } });
    await writeTree(noName.dataDir, { 'a.bin': 10 });
    await expectFailure(noName, {}, 'FileSystemNotFound', /^transfer\.efsFileSystem "no-such-fs" matches no EFS file system id or Name tag/);

    const badRole = await makeSyncSite(fx, { transfer: { userRole: 'arn:aws:iam::12345:role/x y' } });
    await writeTree(badRole.dataDir, { 'a.bin': 10 });
    await expectFailure(badRole, {}, 'InvalidRole', /^transfer\.userRole "arn:aws:iam::12345:role\/x y" must be an IAM role ARN \(arn:aws:iam::<12-digit account>:role\/<name>\) or a plain role name/);

    await expectFailure(site, { deleteExtraneus: true }, 'InvalidInput', /syncDataWorkflow input has unknown key "deleteExtraneus"/);
    await Promise.all([noFs, noName, badRole].map(removeSite));

    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length, 0, 'nothing billable was ever created');
  } finally {
    await removeSite(site);
  }
});

test('a dry run plans against the last verified sync and provisions nothing', async () => {
  const site = await makeSyncSite(fx);
  await writeTree(site.dataDir, { 'keep.bin': 1000, 'change.bin': 2000, 'gone.bin': 3000 });
  const taskQueue = uniqueTaskQueue('sync-dry');
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  try {
    await worker.runUntil(async () => {
      const run = (dryRun: boolean) =>
        env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `sync-dry-${dryRun}-${Date.now()}`, args: [{ configPath: site.configPath, dryRun }] });
      const blind = await run(true);
      assert.equal(blind.plan?.basis, 'none', 'no sync yet: the remote side is unknown');
      assert.deepEqual(blind.uploaded, { files: 3, bytes: 6000 });
      assert.equal(blind.serverId, null);
      assert.equal((await fx.control.ledger()).servers.length, 0, 'a dry run creates no server');

      await run(false);
      await writeTree(site.dataDir, { 'change.bin': 2500, 'new.bin': 10 });
      await rm(`${site.dataDir}/gone.bin`);
      const informed = await run(true);
      assert.equal(informed.plan?.basis, 'last-sync');
      assert.deepEqual(informed.uploaded, { files: 2, bytes: 2510 });
      assert.deepEqual(informed.deleted, { files: 1, bytes: 3000 });
      assert.deepEqual(informed.skipped, { files: 1, bytes: 1000 });
    });
    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length, 1, 'only the real sync created a server');
    assert.equal(ledger.alive, 0);
  } finally {
    await removeSite(site);
  }
});
