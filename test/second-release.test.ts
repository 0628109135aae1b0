import assert from 'node:assert/strict';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { approveDeploySignal, decideDeployUpdate } from '../workflows/deploy-status.js';
import { releaseWorkflow } from '../workflows/release.js';
import { releaseStatusQuery, type ReleaseStatus } from '../workflows/release-status.js';
import { inRegion } from '../sim/index.js';
import { describeEnv, simState } from './helpers/deploy-env.js';
import { npmRun } from './helpers/deploy-run.js';
import { makeReleaseSite, startReleaseSuite, type ReleaseFixture } from './helpers/release-site.js';
import { runDirsOf } from './helpers/run-dirs.js';
import { readAudit } from './helpers/sample-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue } from './helpers/temporal-env.js';
import { waitFor } from './helpers/worker-process.js';
import { snapshotMtimes } from './helpers/tree-times.js';
import { deployedResult } from './helpers/deploy-outcome.js';

// A runbook is used every week under the same ids: the second release must do all the work
// again, never adopt the first one's finished steps, backup, digest or approval.

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
const taskQueue = uniqueTaskQueue('second-release');
suiteHooks(() => startReleaseSuite(taskQueue), (suite) => ({ env, fx } = suite));

async function status(handle: WorkflowHandle): Promise<ReleaseStatus | undefined> {
  return handle.query(releaseStatusQuery).catch(() => undefined);
}

async function releaseAndApprove(workflowId: string, configPath: string): Promise<Awaited<ReturnType<typeof releaseWorkflow>>> {
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath }] });
  await waitFor('the release to wait for approval', async () => (await status(handle))?.approval?.waiting, 180_000, 250);
  const approved = await npmRun('approve', [workflowId, '--by', 'weekly-release'], env.address);
  assert.equal(approved.code, 0, approved.stderr);
  return handle.result();
}

test('the same release id twice: the second run recompiles, reruns the figures, uploads what changed, pushes and deploys a new digest', async () => {
  const site = await makeReleaseSite(fx);
  const workflowId = `release-sample-site-weekly-${Date.now()}`;
  const first = await releaseAndApprove(workflowId, site.configPath);
  const dataDir = path.join(site.dir, 'data');
  const afterFirst = await snapshotMtimes(dataDir);
  const feathers = [...afterFirst.keys()].filter((f) => f.endsWith('.feather'));
  const pickles = [...afterFirst.keys()].filter((f) => f.endsWith('.pkl'));
  assert.ok(feathers.length >= 6 && pickles.length === 3, `compiled ${feathers.length} feather files and ${pickles.length} pickles`);
  const ledgerAfterFirst = await fx.control.ledger();
  const firstAudit = (await readAudit(site.auditLog)).filter((e) => e.event === 'done').length;

  // A week later: one step's data changes (more rows), and so does the app.
  const config = JSON.parse(await readFile(site.configPath, 'utf8')) as { compile: { steps: { name: string; env: Record<string, string> }[] } };
  const changedStep = config.compile.steps[0] as { name: string; env: Record<string, string> };
  changedStep.env.SAMPLE_ROWS = '300';
  await writeFile(site.configPath, JSON.stringify(config, null, 2));
  await writeFile(path.join(site.dir, 'app.py'), `${await readFile(path.join(site.dir, 'app.py'), 'utf8')}\n# week 2\n`);
  const remoteDir = path.join(fx.sim.efsDir(fx.fileSystemId), 'data');
  const remoteBefore = await snapshotMtimes(remoteDir);

  const second = await releaseAndApprove(workflowId, site.configPath);

  // The world, not the workflow's report: every compiled file and figure was written again.
  const afterSecond = await snapshotMtimes(dataDir);
  for (const file of [...feathers, ...pickles]) {
    assert.ok((afterSecond.get(file) ?? 0) > (afterFirst.get(file) ?? Infinity), `${file} was rewritten by the second run`);
  }
  const secondAudit = (await readAudit(site.auditLog)).filter((e) => e.event === 'done').length;
  assert.equal(secondAudit, firstAudit * 2, 'every unit was compiled again');
  // A second Transfer server was created and deleted for the second sync.
  const ledger = await fx.control.ledger();
  assert.equal(ledger.servers.length, ledgerAfterFirst.servers.length + 1, 'the second sync provisioned its own server');
  assert.equal(ledger.alive, 0);
  // EFS got the changed step's files again (new content), and holds exactly the local tree.
  const remoteAfter = await snapshotMtimes(remoteDir);
  const changed = [...remoteAfter.keys()].filter((f) => f.includes(`/${changedStep.name}/`));
  assert.ok(changed.length > 0);
  for (const file of changed) assert.ok((remoteAfter.get(file) ?? 0) > (remoteBefore.get(file) ?? Infinity), `${file} re-uploaded`);
  for (const file of feathers) {
    assert.deepEqual(await readFile(path.join(remoteDir, file)), await readFile(path.join(dataDir, file)), `${file} on EFS equals the local file`);
  }
  // A new image was pushed, and the environment runs the second release's version of it.
  assert.notEqual(second.deploy?.image?.digest, first.deploy?.image?.digest, 'a new digest');
  assert.notEqual(second.deploy?.versionLabel, first.deploy?.versionLabel);
  const state = await simState(fx.sim);
  const digests = state.ecrPublic.repositories['sample-site']?.images.map((i) => i.digest) ?? [];
  assert.ok(digests.includes(second.deploy?.image?.digest ?? '(none)'), 'the new digest is in the registry');
  assert.equal((await describeEnv(fx.sim))?.VersionLabel, second.deploy?.versionLabel);
  const version = inRegion(state).eb.versions.find((v) => v.versionLabel === second.deploy?.versionLabel);
  assert.match(version?.description ?? '', new RegExp((second.deploy?.image?.digest ?? '(none)').replace(':', '.')));
  // Each run kept its own dir under the one workflow id.
  assert.equal(runDirsOf(site.dir, workflowId).length, 2);
  assert.equal(runDirsOf(site.dir, `${workflowId}-compile`).length, 2);
  await rm(site.dir, { recursive: true, force: true });
});

test('decisions count only at the gate: an approval during the compile and during the build is refused at once, the one at the gate deploys', async () => {
  const site = await makeReleaseSite(fx, { units: 6, unitMs: 300 });
  const workflowId = `release-early-approval-${Date.now()}`;
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath }] });
  try {
    await earlyApprovals(handle, workflowId);
  } finally {
    await handle.terminate('test cleanup').catch(() => undefined);
    await rm(site.dir, { recursive: true, force: true });
  }
});

async function earlyApprovals(handle: WorkflowHandle<typeof releaseWorkflow>, workflowId: string): Promise<void> {
  await waitFor('the compile to run', async () => (await status(handle))?.stage === 'compile+figures', 60_000, 100);

  // During the compile: the CLI is refused with a sentence (exit 2); a UI signal is recorded as ignored.
  const early = await npmRun('approve', [workflowId, '--by', 'too-early'], env.address);
  assert.equal(early.code, 2, early.stdout);
  assert.match(early.stderr, /not waiting for approval yet \(stage: compile\+figures\): decisions count only at the gate/);
  await handle.signal(approveDeploySignal, { by: 'ui-too-early' });
  const ignored = await waitFor('the ignored signal in the status', async () => (await status(handle))?.ignoredDecision, 10_000, 100);
  assert.equal(ignored?.by, 'ui-too-early');

  // During the build: the Update itself is refused by the validator.
  await waitFor('the image build', async () => (await status(handle))?.deployStage === 'building', 120_000, 100);
  await assert.rejects(handle.executeUpdate(decideDeployUpdate, { args: [{ decision: 'approve', by: 'still-early' }] }), (err: Error) => {
    assert.match(err.cause instanceof Error ? err.cause.message : '', /not waiting for approval yet \(stage: (building|pushing)\)/);
    return true;
  });

  const gate = await waitFor('the gate', async () => {
    const s = await status(handle);
    return s?.approval?.waiting ? s : undefined;
  }, 120_000, 100);
  assert.equal(gate.approval?.decision, null, 'no early decision was carried to the gate');
  const answer = await handle.executeUpdate(decideDeployUpdate, { args: [{ decision: 'approve', by: 'at-the-gate', note: 'checked' }] });
  assert.equal(answer.decision, 'approved');
  assert.equal(answer.deploys?.environment, 'sample-site-prod');
  const result = await handle.result();
  assert.equal(deployedResult(result.deploy).approvedBy, 'at-the-gate');
  assert.equal((await describeEnv(fx.sim))?.VersionLabel, result.deploy?.versionLabel);
  // A second decision after the gate closed is refused too.
  await assert.rejects(npmRun('approve', [workflowId, '--by', 'late'], env.address).then((r) => (r.code === 0 ? undefined : Promise.reject(new Error(r.stderr)))), /COMPLETED, not waiting/);
}

test('two releases of one site started at the same moment under different ids: exactly one proceeds, the other fails at once naming it', async () => {
  const site = await makeReleaseSite(fx, { units: 20, unitMs: 200 });
  const stamp = Date.now();
  const ids = [`release-race-a-${stamp}`, `release-race-b-${stamp}`];
  const handles = await Promise.all(ids.map((workflowId) => env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, stages: ['compile'] }] })));
  try {
    await raceOfTwo(handles, site.configPath, stamp, site.dir);
  } finally {
    for (const h of handles) await h.terminate('test cleanup').catch(() => undefined);
    await rm(site.dir, { recursive: true, force: true });
  }
});

async function raceOfTwo(handles: WorkflowHandle<typeof releaseWorkflow>[], configPath: string, stamp: number, siteDir: string): Promise<void> {
  const outcomes = await Promise.all(
    handles.map((h) =>
      Promise.race([
        h.result().then(
          () => 'completed' as const,
          (e: unknown) => e,
        ),
        new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 15_000)),
      ]),
    ),
  );
  const refused = outcomes.filter((o) => o instanceof WorkflowFailedError);
  assert.equal(refused.length, 1, `exactly one refused: ${outcomes.map(String).join(' / ')}`);
  const winner = handles[outcomes.findIndex((o) => !(o instanceof WorkflowFailedError))] as WorkflowHandle;
  let cause: unknown = refused[0];
  while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  assert.ok(cause instanceof ApplicationFailure);
  assert.equal(cause.type, 'ReleaseAlreadyRunning');
  assert.match(cause.message, new RegExp(`already running \\(${winner.workflowId}\\)`));
  // Only the winner's compile ever ran: the refused release started no child at all.
  const loser = handles.find((h) => h !== winner) as WorkflowHandle;
  assert.equal(runDirsOf(siteDir, `${loser.workflowId}-compile`).length, 0);
  await assert.rejects(env.client.workflow.getHandle(`${loser.workflowId}-compile`).describe(), /not found/i);
  await winner.result();
  // The lock is free as soon as the release ends: the next one proceeds.
  const next = await env.client.workflow.execute(releaseWorkflow, { taskQueue, workflowId: `release-race-next-${stamp}`, args: [{ configPath, stages: ['compile'] }] });
  assert.equal(next.stages[0]?.result, 'ok');
}

test('old run dirs are pruned to keepRuns per workflow type, the newest kept', async () => {
  const site = await makeReleaseSite(fx);
  const config = JSON.parse(await readFile(site.configPath, 'utf8')) as Record<string, unknown>;
  config.keepRuns = 2;
  await writeFile(site.configPath, JSON.stringify(config, null, 2));
  const workflowId = `release-prune-${Date.now()}`;
  for (let i = 0; i < 3; i++) await env.client.workflow.execute(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, stages: ['compile'] }] });
  const dirs = runDirsOf(site.dir, `${workflowId}-compile`);
  assert.equal(dirs.length, 2, 'two compile runs kept');
  const newest = await env.client.workflow.getHandle(`${workflowId}-compile`).describe();
  assert.equal(path.basename(dirs.at(-1) ?? ''), newest.runId, 'the newest run is kept');
  assert.ok((await stat(path.join(site.dir, '.runbook', 'site', 'last-good-data', 'manifest.json'))).size > 0, 'the last good manifest survives pruning');
  await rm(site.dir, { recursive: true, force: true });
});
