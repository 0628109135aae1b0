import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { EFSClient, PutFileSystemPolicyCommand } from '@aws-sdk/client-efs';
import { AttachRolePolicyCommand, CreateRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { RetryState } from '@temporalio/common';
import { waitFor } from './helpers/worker-process.js';
import { createRunbookWorker } from '../worker/create-worker.js';
import { syncDataWorkflow } from '../workflows/sync.js';
import { makeSyncSite, removeSite, startSyncSuite, writeTree, type SyncFixture } from './helpers/sync-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue, withWorker, workflowBundle } from './helpers/temporal-env.js';

let env: TestWorkflowEnvironment;
let fx: SyncFixture;
suiteHooks(startSyncSuite, (suite) => ({ env, fx } = suite));

async function expectFailure(site: { configPath: string }, input: Record<string, unknown>, type: string, message: RegExp): Promise<void> {
  await withWorker(env, 'sync-bad', async (taskQueue) => {
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

// The example's aws-elasticbeanstalk-ec2-role trusts only EC2: Transfer would refuse every login
// while the server bills. The preflight reads the roles first and names what is missing.
test('a role Transfer cannot assume, or without EFS client access, fails the preflight: nothing provisioned, the role named', async () => {
  const iam = new IAMClient({ endpoint: fx.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  const trust = (service: string): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
  const role = async (name: string, service: string, policy?: string): Promise<void> => {
    await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust(service) }));
    if (policy) await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: `arn:aws:iam::aws:policy/${policy}` }));
  };
  await role('ec2-only-efs', 'ec2.amazonaws.com', 'AmazonElasticFileSystemClientFullAccess');
  await role('transfer-no-efs', 'transfer.amazonaws.com');
  await role('transfer-no-root', 'transfer.amazonaws.com', 'AmazonElasticFileSystemClientReadWriteAccess');
  await role('logs-for-ec2', 'ec2.amazonaws.com');
  const sites = [];
  try {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ userRole: 'ec2-only-efs' }, /^transfer\.userRole: the role ec2-only-efs does not trust transfer\.amazonaws\.com \(its trust policy names ec2\.amazonaws\.com\), so Transfer could not assume it: add transfer\.amazonaws\.com to its trust policy/],
      [{ userRole: 'aws-elasticbeanstalk-ec2-role' }, /^transfer\.userRole: the role aws-elasticbeanstalk-ec2-role does not trust transfer\.amazonaws\.com/],
      [{ userRole: 'no-such-role' }, /^transfer\.userRole: the role no-such-role does not exist \(arn:aws:iam::123456789012:role\/no-such-role\)/],
      [{ userRole: 'transfer-no-efs' }, /^transfer\.userRole: the role transfer-no-efs is not allowed elasticfilesystem:ClientMount, elasticfilesystem:ClientWrite on fs-\w+, so its SFTP sessions could not write to EFS/],
      [{ userRole: 'transfer-no-root', posixUid: 0, posixGid: 0 }, /^transfer\.userRole: the role transfer-no-root is not allowed elasticfilesystem:ClientRootAccess on fs-\w+ \(ClientRootAccess because transfer\.posixUid is 0\)/],
      [{ loggingRole: 'logs-for-ec2' }, /^transfer\.loggingRole: the role logs-for-ec2 does not trust transfer\.amazonaws\.com/],
    ];
    for (const [transfer, message] of cases) {
      const site = await makeSyncSite(fx, { transfer });
      sites.push(site);
      await writeTree(site.dataDir, { 'a.bin': 10 });
      await expectFailure(site, {}, 'RoleNotUsable', message);
    }
    // The same roles pass once they are right: uid 1000 needs no root access, and the file
    // system policy may grant what the role's own policies lack.
    const fine = await makeSyncSite(fx, { transfer: { userRole: 'transfer-no-root', posixUid: 1000 } });
    const byFsPolicy = await makeSyncSite(fx, { transfer: { userRole: 'transfer-no-efs', posixUid: 1000 } });
    sites.push(fine, byFsPolicy);
    const efs = new EFSClient({ endpoint: fx.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
    await efs.send(new PutFileSystemPolicyCommand({
      FileSystemId: fx.fileSystemId,
      Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/transfer-no-efs' }, Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'], Resource: '*' }] }),
    }));
    efs.destroy();
    await withWorker(env, 'sync-role-ok', async (taskQueue) => {
      for (const site of [fine, byFsPolicy]) {
        await writeTree(site.dataDir, { 'a.bin': 10 });
        await env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `sync-role-ok-${Date.now()}`, args: [{ configPath: site.configPath, dryRun: true }] });
      }
    });

    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length, 0, 'no server was created for any of them');
  } finally {
    iam.destroy();
    await Promise.all(sites.map(removeSite));
  }
});

// The preflight passed, then the role changed under the run: Transfer refuses the login of an
// ONLINE, billing server. That is no dropped connection to retry ten times.
test('an SFTP login refused while the server is ONLINE is not retried: the server is deleted at once and the failure says why', async () => {
  const iam = new IAMClient({ endpoint: fx.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  const trust = (service: string): string => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
  await iam.send(new CreateRoleCommand({ RoleName: 'transfer-then-ec2', AssumeRolePolicyDocument: trust('transfer.amazonaws.com') }));
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'transfer-then-ec2', PolicyArn: 'arn:aws:iam::aws:policy/AmazonElasticFileSystemClientFullAccess' }));
  const site = await makeSyncSite(fx, { transfer: { userRole: 'transfer-then-ec2', maxAttempts: 6 } });
  await writeTree(site.dataDir, { 'a.bin': 1000 });
  // Time to change the role between the preflight and the login.
  await fx.control.addFault({ service: 'transfer', operation: 'CreateUser', latencyMs: 3000, count: 1 });
  const taskQueue = uniqueTaskQueue('sync-login-refused');
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  const before = (await fx.control.ledger()).servers.length;
  try {
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `sync-login-refused-${Date.now()}`, args: [{ configPath: site.configPath }] });
      await waitFor('the server to exist', async () => (await fx.control.ledger()).servers.some((s) => s.tags['runbook:workflowId'] === handle.workflowId), 30_000, 50);
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'transfer-then-ec2', PolicyDocument: trust('ec2.amazonaws.com') }));
      const err = await handle.result().then(() => assert.fail('must fail'), (e: unknown) => e);
      let activity: ActivityFailure | undefined;
      let app: ApplicationFailure | undefined;
      for (let c: unknown = err; c instanceof Error; c = c.cause) {
        if (c instanceof ActivityFailure) activity ??= c;
        if (c instanceof ApplicationFailure && c.type === 'SftpLoginRefused') app = c;
      }
      assert.ok(app, `expected SftpLoginRefused in ${String(err)}`);
      assert.match(app.message, /refused the SFTP login of user "runbook-sync" while ONLINE .*the sync deletes the server now instead of retrying/);
      assert.equal(activity?.retryState, RetryState.NON_RETRYABLE_FAILURE, 'not retried');
    });
    const ledger = await fx.control.ledger();
    assert.equal(ledger.servers.length, before + 1, 'one server, never a second');
    assert.equal(ledger.alive, 0, 'and it was deleted');
  } finally {
    await fx.control.clearFaults();
    iam.destroy();
    await removeSite(site);
  }
});

test('a dry run plans against the last verified sync and provisions nothing', async () => {
  const site = await makeSyncSite(fx);
  await writeTree(site.dataDir, { 'keep.bin': 1000, 'change.bin': 2000, 'gone.bin': 3000 });
  const taskQueue = uniqueTaskQueue('sync-dry');
  // The sim is shared by this file's tests: count only the servers this one creates.
  const before = (await fx.control.ledger()).servers.length;
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  try {
    await worker.runUntil(async () => {
      const run = (dryRun: boolean) =>
        env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `sync-dry-${dryRun}-${Date.now()}`, args: [{ configPath: site.configPath, dryRun }] });
      const blind = await run(true);
      assert.equal(blind.plan?.basis, 'none', 'no sync yet: the remote side is unknown');
      assert.deepEqual(blind.uploaded, { files: 3, bytes: 6000 });
      assert.equal(blind.serverId, null);
      assert.equal((await fx.control.ledger()).servers.length, before, 'a dry run creates no server');

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
    assert.equal(ledger.servers.length, before + 1, 'only the real sync created a server');
    assert.equal(ledger.alive, 0);
  } finally {
    await removeSite(site);
  }
});
