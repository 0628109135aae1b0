import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRunbookWorker, type RunbookWorker } from '../worker/create-worker.js';
import { releaseWorkflow } from '../workflows/release.js';
import { releaseStatusQuery } from '../workflows/release-status.js';
import { runbookSiteKey, runbookStageKey } from '../workflows/search-attributes.js';
import { describeEnv } from './helpers/deploy-env.js';
import { npmRun } from './helpers/deploy-run.js';
import { makeReleaseSite, startReleaseSuite, type ReleaseFixture } from './helpers/release-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';
import { startWorkerProcess, waitFor } from './helpers/worker-process.js';
import { deployedResult } from './helpers/deploy-outcome.js';

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
let worker: RunbookWorker;
const taskQueue = uniqueTaskQueue('release');
suiteHooks(() => startReleaseSuite(taskQueue), (suite) => ({ env, fx, worker } = suite));

test('a full release started as from the UI with {} : compile, sync, image, approval by signal, deploy', async () => {
  const site = await makeReleaseSite(fx);
  // The worker's own config, as a person who types {} into the UI relies on.
  process.env.RUNBOOK_CONFIG = site.configPath;
  try {
    const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release-ui-${Date.now()}`, args: [{}] });
    // The release's own status shows the gate (what a person reads in the UI's Queries tab).
    const waiting = await waitFor(
      'the release to say it waits for approval',
      async () => {
        const status = await handle.query(releaseStatusQuery);
        return status.approval?.waiting ? status : undefined;
      },
      180_000,
      250,
    );
    assert.equal(waiting.deployStage, 'awaiting-approval');
    assert.match(waiting.nextAction, new RegExp(`npm run approve -- ${handle.workflowId}`));
    assert.match(waiting.nextAction, /Send a Signal "approveDeploy"/);
    assert.match(waiting.approval?.deploys?.image ?? '', /@sha256:|:latest/);
    const deployId = `${handle.workflowId}-deploy`;
    // The release itself says it waits, for what, until when, and how to approve in the UI and the CLI.
    assert.equal(waiting.waiting?.for, 'approval');
    assert.equal(waiting.waiting?.workflowId, deployId);
    assert.equal(waiting.waiting?.until, waiting.approval?.deadline);
    assert.ok(Date.parse(waiting.waiting?.until ?? '') > Date.now(), 'the deadline lies ahead');
    assert.match(waiting.waiting?.what ?? '', new RegExp(`digest sha256:[0-9a-f]{64}\\) as ${waiting.deploy?.versionLabel ?? '?'} on sample-site-prod`));
    assert.match(waiting.waiting?.what ?? '', /settings: /);
    assert.match(waiting.waiting?.what ?? '', /Who may approve: anyone/);
    assert.match(waiting.waiting?.ui ?? '', new RegExp(`open workflow ${handle.workflowId}, More Actions → Send a Signal "approveDeploy" with input \\{"by":"your-name".*Send an Update "decideDeploy"`));
    assert.match(waiting.waiting?.cli ?? '', new RegExp(`npm run approve -- ${handle.workflowId}`));
    assert.equal(waiting.deploy?.workflowId, deployId);
    assert.match(waiting.deploy?.image.digest ?? '', /^sha256:[0-9a-f]{64}$/);
    assert.deepEqual(
      waiting.stages.map((s) => [s.stage, s.state, s.workflowType]),
      [['compile', 'completed', 'compileWorkflow'], ['figures', 'completed', 'compileWorkflow'], ['sync', 'completed', 'syncDataWorkflow'], ['image', 'waiting', 'deployWorkflow'], ['deploy', 'waiting', 'deployWorkflow']],
    );
    // No frozen elapsed figure: timestamps the reader counts from.
    assert.ok(!('elapsedMs' in waiting), 'the release status carries timestamps, not an elapsed figure');
    assert.ok(Date.parse(waiting.startedAt) <= Date.now() && waiting.endedAt === null);
    // The CLI reads the same status: the gate and the way to approve, with no merging of its own.
    const cliStatus = await npmRun('status', [handle.workflowId, '--json'], env.address);
    assert.equal(cliStatus.code, 0, cliStatus.stderr);
    const cliView = JSON.parse(cliStatus.stdout.trim().split('\n').at(-1) ?? '{}') as { waiting?: { for?: string }; nextAction?: string; elapsedMs?: number };
    assert.equal(cliView.waiting?.for, 'approval');
    assert.equal(cliView.nextAction, waiting.nextAction);
    assert.ok((cliView.elapsedMs ?? 0) >= Date.now() - Date.parse(waiting.startedAt) - 60_000, 'the CLI counts elapsed time from startedAt');
    // A person approves the release they started; the release forwards it to its deploy child.
    const approved = await npmRun('approve', [handle.workflowId, '--by', 'release-test', '--note', 'looks good'], env.address);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`${handle.workflowId}: approved by release-test`));
    const result = await handle.result();

    assert.deepEqual(result.stages.map((s) => [s.stage, s.result]), [['compile', 'ok'], ['figures', 'ok'], ['sync', 'ok'], ['image', 'ok'], ['deploy', 'ok']]);
    assert.deepEqual(result.stages.map((s) => s.workflowId), [`${handle.workflowId}-compile`, `${handle.workflowId}-compile`, `${handle.workflowId}-sync`, deployId, deployId]);
    assert.equal(deployedResult(result.deploy).approvedBy, 'release-test');
    assert.equal(result.compile?.manifest.files, 6 + 3);
    assert.ok((result.sync?.uploaded.files ?? 0) >= 9, 'the compiled data and figures were uploaded');
    // The data landed on EFS, the environment runs the new version and is Green, no server is left.
    const remote = await readdir(path.join(fx.sim.efsDir(fx.fileSystemId), 'data', 'compiled'));
    assert.ok(remote.includes('circos.pkl') && remote.includes('expression'));
    const environment = await describeEnv(fx.sim);
    assert.equal(environment?.VersionLabel, result.deploy?.versionLabel);
    assert.equal(environment?.Health, 'Green');
    assert.equal((await fx.control.ledger()).alive, 0);
    // The release's own history stays small: the children keep theirs (the host watch adds a few
    // events per child, not one per poll).
    const events = (await handle.fetchHistory()).events?.length ?? 0;
    assert.ok(events < 150, `release history has ${events} events`);
    // The UI's list can be filtered by site and stage.
    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(runbookSiteKey), 'sample-site');
    assert.equal(description.typedSearchAttributes.get(runbookStageKey), 'completed');
    // The memo names the host that holds the release's data (the one whose worker answered first).
    assert.deepEqual(description.memo, { site: 'sample-site', stages: ['compile', 'figures', 'sync', 'image', 'deploy'], host: worker.hostId });
    const status = await handle.query(releaseStatusQuery);
    assert.equal(status.stage, 'completed');
    assert.equal(status.waiting, null);
    assert.ok(status.stages.every((s) => s.state === 'completed'));
    assert.ok(status.stages.every((s) => s.endedAt && s.startedAt && Date.parse(s.endedAt) - Date.parse(s.startedAt) === s.durationMs));
    assert.ok(status.endedAt && Date.parse(status.endedAt) >= Date.parse(status.startedAt));
    await rm(site.dir, { recursive: true, force: true });
  } finally {
    delete process.env.RUNBOOK_CONFIG;
  }
});

test('a data-only release: compile, sync, then a restart of the app servers, no approval needed', async () => {
  const site = await makeReleaseSite(fx);
  const result = await env.client.workflow.execute(releaseWorkflow, {
    taskQueue,
    workflowId: `release-data-${Date.now()}`,
    args: [{ configPath: site.configPath, stages: ['compile', 'sync', 'restart'] }],
  });
  assert.deepEqual(result.stages.map((s) => s.stage), ['compile', 'sync', 'restart']);
  assert.equal(result.deploy?.mode, 'restart');
  assert.equal(result.compile?.figures.length, 0, 'figures were not selected');
  assert.equal((await fx.control.ledger()).alive, 0);
  await rm(site.dir, { recursive: true, force: true });
});

test('a second release of the same site is refused while one runs', async () => {
  const site = await makeReleaseSite(fx, { units: 40, unitMs: 500 });
  const first = await env.client.workflow.start(releaseWorkflow, {
    taskQueue,
    workflowId: `release-first-${Date.now()}`,
    args: [{ configPath: site.configPath, stages: ['compile'] }],
  });
  const running = await waitFor('the first release to run', async () => {
    const status = await first.query(releaseStatusQuery);
    return status.stage === 'compile' ? status : undefined;
  });
  // A running stage says where its progress is and how to stop, in the UI and with the CLI alike.
  assert.match(
    running.nextAction,
    new RegExp(`^wait: compileWorkflow ${first.workflowId}-compile is running\\. Progress in the Temporal UI: open workflow ${first.workflowId}-compile, Queries tab, query "status".*; with the CLI: npm run status -- ${first.workflowId} --wait\\. To stop the release: in the Temporal UI, Request Cancellation`),
  );
  const err = await env.client.workflow
    .execute(releaseWorkflow, { taskQueue, workflowId: `release-second-${Date.now()}`, args: [{ configPath: site.configPath }] })
    .then(
      () => assert.fail('the second release must be refused'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof WorkflowFailedError);
  let cause: unknown = err.cause;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  assert.ok(cause instanceof ApplicationFailure);
  assert.equal(cause.type, 'ReleaseAlreadyRunning');
  assert.match(cause.message, new RegExp(`already running \\(${first.workflowId}\\)`));
  await first.cancel();
  await assert.rejects(first.result());
  assert.equal((await first.query(releaseStatusQuery)).stages[0]?.state, 'cancelled');
  await rm(site.dir, { recursive: true, force: true });
});

test('bad release input names the field and runs nothing', async () => {
  for (const [input, expected] of [
    [{ stages: ['compile', 'deplooy'] }, /stages\.1.*must each be one of/],
    [{ stages: ['deploy', 'restart'] }, /cannot hold both "deploy" and "restart"/],
    [{ stages: ['image'] }, /holds "image" without "deploy"/],
    [{ autoApprove: 'yes' }, /field "autoApprove" must be true or false/],
  ] as const) {
    const err = await env.client.workflow
      .execute('releaseWorkflow', { taskQueue, workflowId: `release-bad-${Date.now()}-${Math.random()}`, args: [input] })
      .then(
        () => assert.fail('must fail'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, 'InvalidInput');
    assert.match(err.cause.message, expected);
  }
});

test('a release whose deploy turns Red shows the rollback as its own waiting state, then says what happened', async () => {
  const site = await makeReleaseSite(fx);
  const control = fx.control;
  await control.addFault({ service: 'elasticbeanstalk', operation: 'UpdateEnvironment', nextDeployRed: { environmentName: 'sample-site-prod' }, count: 1 });
  // A slow abort keeps the rollback in view long enough to read it.
  await control.addFault({ service: 'elasticbeanstalk', operation: 'AbortEnvironmentUpdate', latencyMs: 4000, count: 1 });
  const handle = await env.client.workflow.start(releaseWorkflow, {
    taskQueue,
    workflowId: `release-red-${Date.now()}`,
    args: [{ configPath: site.configPath, stages: ['image', 'deploy'], autoApprove: true }],
  });
  const rolling = await waitFor(
    'the release to show the rollback',
    async () => {
      const status = await handle.query(releaseStatusQuery);
      if (status.stage === 'failed') assert.fail(`the release ended before its rollback showed: ${status.error ?? ''}`);
      return status.waiting?.for === 'rollback' ? status : undefined;
    },
    120_000,
    100,
  );
  assert.equal(rolling.waiting?.workflowType, 'deployWorkflow');
  assert.equal(rolling.waiting?.workflowId, `${handle.workflowId}-deploy`);
  assert.match(rolling.waiting?.what ?? '', /^the deploy failed \(Environment "sample-site-prod" is not healthy .*health is Red \(Severe\)\.\) and is rolling sample-site-prod back to sample-site-[^\n]*$/);
  assert.match(rolling.waiting?.ui ?? '', /^nothing to do/);
  assert.ok(Date.parse(rolling.waiting?.until ?? '') > Date.parse(rolling.waiting?.since ?? ''), 'the rollback has a time limit');
  assert.match(rolling.nextAction, /^wait: rollback in progress until /);
  await assert.rejects(handle.result());
  const ended = await handle.query(releaseStatusQuery);
  assert.equal(ended.stage, 'failed');
  assert.equal(ended.waiting, null);
  assert.equal(ended.deployStage, 'rolled-back');
  assert.match(ended.nextAction, /rolled back and the environment is healthy.*npm run start-workflow -- release/);
  assert.equal((await describeEnv(fx.sim))?.Health, 'Green');
  await control.clearFaults();
  await rm(site.dir, { recursive: true, force: true });
});

test('a release nobody approves in time ends without deploying and says how to try again', async () => {
  const site = await makeReleaseSite(fx);
  const config = JSON.parse(await readFile(site.configPath, 'utf8')) as { beanstalk: Record<string, unknown> };
  config.beanstalk.approvalTimeoutHours = 0.002; // about 7 s
  await writeFile(site.configPath, JSON.stringify(config));
  const before = (await describeEnv(fx.sim))?.VersionLabel;
  const handle = await env.client.workflow.start(releaseWorkflow, {
    taskQueue,
    workflowId: `release-timeout-${Date.now()}`,
    args: [{ configPath: site.configPath, stages: ['image', 'deploy'] }],
  });
  const waiting = await waitFor('the gate', async () => {
    const status = await handle.query(releaseStatusQuery);
    if (status.stage === 'failed') assert.fail(`the release failed before its gate: ${status.error ?? ''}`);
    return status.waiting?.for === 'approval' ? status : undefined;
  }, 120_000, 100);
  assert.ok(Date.parse(waiting.waiting?.until ?? '') - Date.parse(waiting.waiting?.since ?? '') <= 8_000);
  await assert.rejects(handle.result());
  const ended = await handle.query(releaseStatusQuery);
  assert.equal(ended.deployStage, 'approval-timed-out');
  assert.equal(ended.waiting, null);
  assert.equal(ended.stages.find((s) => s.stage === 'deploy')?.state, 'failed');
  assert.match(ended.nextAction, /^approval timed out: nobody approved the deploy before .*nothing was deployed\. To try again, start a new release: in the Temporal UI, Start Workflow "releaseWorkflow".*with the CLI: npm run start-workflow -- release/);
  assert.equal((await describeEnv(fx.sim))?.VersionLabel, before, 'nothing was deployed');
  await rm(site.dir, { recursive: true, force: true });
});

test('a release whose data host is gone says so and how to bring it back, naming the host', async () => {
  const site = await makeReleaseSite(fx, { units: 40, unitMs: 500 });
  const config = JSON.parse(await readFile(site.configPath, 'utf8')) as { compile: Record<string, unknown> };
  config.compile.heartbeatTimeoutSeconds = 5; // a dead worker's step is noticed quickly
  await writeFile(site.configPath, JSON.stringify(config));
  // Its own queue: the worker on host "lab-gone" takes the release (and pins its data there) and then dies.
  const hostQueue = uniqueTaskQueue('release-host');
  const doomed = await startWorkerProcess({ address: env.address, taskQueue: hostQueue, env: { RUNBOOK_HOST_ID: 'lab-gone', RUNBOOK_HOST_WAIT_MINUTES: '0.1' } });
  const handle = await env.client.workflow.start(releaseWorkflow, {
    taskQueue: hostQueue,
    workflowId: `release-host-gone-${Date.now()}`,
    args: [{ configPath: site.configPath, stages: ['compile'] }],
  });
  await waitFor('the compile to run on lab-gone', async () => {
    const child = await env.client.workflow.getHandle(`${handle.workflowId}-compile`).query<{ stage: string }>('status').catch(() => undefined);
    return child?.stage === 'compiling';
  }, 120_000, 200);
  await doomed.crash();
  // Another machine's worker keeps the workflows going; the data work waits for lab-gone only.
  const elsewhere = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue: hostQueue, hostId: 'lab-other', workflowBundle: await workflowBundle() });
  const status = await elsewhere.runUntil(async () => {
    await assert.rejects(handle.result());
    return handle.query(releaseStatusQuery);
  });
  assert.equal(status.stage, 'failed');
  assert.match(status.nextAction, /^host unreachable: no worker on lab-gone, which holds this release's data, took its work in time\. Start the worker there \(RUNBOOK_HOST_ID=lab-gone npm run worker/);
  assert.match(status.error ?? '', /Host lab-gone holds this run's data/);
  await rm(site.dir, { recursive: true, force: true });
});
