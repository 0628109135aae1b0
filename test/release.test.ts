import assert from 'node:assert/strict';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunbookWorker } from '../worker/create-worker.js';
import { releaseWorkflow } from '../workflows/release.js';
import { releaseStatusQuery } from '../workflows/release-status.js';
import { runbookSiteKey, runbookStageKey } from '../workflows/search-attributes.js';
import { describeEnv } from './helpers/deploy-env.js';
import { npmRun } from './helpers/deploy-run.js';
import { makeReleaseSite, startReleaseSuite, type ReleaseFixture, type ReleaseSuite } from './helpers/release-site.js';
import { uniqueTaskQueue } from './helpers/temporal-env.js';
import { waitFor } from './helpers/worker-process.js';

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
let worker: RunbookWorker;
let suite: ReleaseSuite | undefined;
const taskQueue = uniqueTaskQueue('release');

before(async () => {
  suite = await startReleaseSuite(taskQueue);
  ({ env, fx, worker } = suite);
});
after(() => suite?.stop());

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
    // A person approves the release they started; the release forwards it to its deploy child.
    const approved = await npmRun('approve', [handle.workflowId, '--by', 'release-test', '--note', 'looks good'], env.address);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, new RegExp(`${handle.workflowId}: approved by release-test`));
    const result = await handle.result();

    assert.deepEqual(result.stages.map((s) => [s.stage, s.result]), [['compile', 'ok'], ['figures', 'ok'], ['sync', 'ok'], ['image', 'ok'], ['deploy', 'ok']]);
    assert.deepEqual(result.stages.map((s) => s.workflowId), [`${handle.workflowId}-compile`, `${handle.workflowId}-compile`, `${handle.workflowId}-sync`, deployId, deployId]);
    assert.equal(result.deploy?.approvedBy, 'release-test');
    assert.equal(result.compile?.manifest.files, 6 + 3);
    assert.ok((result.sync?.uploaded.files ?? 0) >= 9, 'the compiled data and figures were uploaded');
    // The data landed on EFS, the environment runs the new version and is Green, no server is left.
    const remote = await readdir(path.join(fx.sim.efsDir(fx.fileSystemId), 'data', 'compiled'));
    assert.ok(remote.includes('circos.pkl') && remote.includes('expression'));
    const environment = await describeEnv(fx.sim);
    assert.equal(environment?.VersionLabel, result.deploy?.versionLabel);
    assert.equal(environment?.Health, 'Green');
    assert.equal((await fx.control.ledger()).alive, 0);
    // The release's own history stays small: the children keep theirs.
    const events = (await handle.fetchHistory()).events?.length ?? 0;
    assert.ok(events < 120, `release history has ${events} events`);
    // The UI's list can be filtered by site and stage.
    const description = await handle.describe();
    assert.equal(description.typedSearchAttributes.get(runbookSiteKey), 'sample-site');
    assert.equal(description.typedSearchAttributes.get(runbookStageKey), 'completed');
    // The memo names the host that holds the release's data (the one whose worker answered first).
    assert.deepEqual(description.memo, { site: 'sample-site', stages: ['compile', 'figures', 'sync', 'image', 'deploy'], host: worker.hostId });
    const status = await handle.query(releaseStatusQuery);
    assert.equal(status.stage, 'completed');
    assert.ok(status.stages.every((s) => s.state === 'completed'));
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
  await waitFor('the first release to run', async () => (await first.query(releaseStatusQuery)).stage === 'compile');
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
