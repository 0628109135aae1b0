import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { releaseWorkflow } from '../workflows/release.js';
import { approveDeploySignal, deployStatusQuery } from '../workflows/deploy-status.js';
import { patchIds, Patches } from '../workflows/patches.js';
import { createRunbookWorker, workflowInterceptorModules, workflowsPath, type RunbookWorker } from '../worker/create-worker.js';
import { describeEnv } from './helpers/deploy-env.js';
import { makeReleaseSite, startReleaseSim, type ReleaseFixture } from './helpers/release-site.js';
import { readAudit } from './helpers/sample-site.js';
import { startDevServer, uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';
import { waitFor } from './helpers/worker-process.js';

// A worker upgrade in the middle of a release, done as the README says: the new build first runs
// with its new workflow changes held (RUNBOOK_HOLD_PATCHES=all), so it does exactly what the old
// build did, then without the hold. Each swap is a fresh bundle on a fresh worker; the release
// must finish without a single failed workflow task (where a non-determinism error shows).

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
before(async () => {
  env = await startDevServer();
  fx = await startReleaseSim();
});
after(async () => {
  await fx?.close();
  await env?.teardown();
});

interface Running {
  worker: RunbookWorker;
  stop(): Promise<void>;
}

async function freshBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, logger: { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } });
}

async function startWorker(taskQueue: string, bundle: WorkflowBundleWithSourceMap, held: readonly (typeof patchIds)[number][]): Promise<Running> {
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: bundle, heldPatches: held, hostId: 'lab-1' });
  const running = worker.run();
  return { worker, stop: async () => { worker.shutdown(); await running; } };
}

/** Every workflow task failure and patch marker in the release and its children. */
async function historyFacts(handle: WorkflowHandle, childIds: string[]): Promise<{ failedTasks: string[]; markers: string[] }> {
  const failedTasks: string[] = [];
  const markers: string[] = [];
  for (const id of [handle.workflowId, ...childIds]) {
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    for (const event of history.events ?? []) {
      const failure = event.workflowTaskFailedEventAttributes;
      if (failure) failedTasks.push(`${id}: ${failure.failure?.message ?? failure.cause}`);
      const marker = event.markerRecordedEventAttributes;
      if (marker?.markerName === 'core_patch') {
        const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
        markers.push(`${id}: ${data ? (JSON.parse(Buffer.from(data).toString()) as { id?: string }).id ?? '?' : '?'}`);
      }
    }
  }
  return { failedTasks, markers };
}

test('upgraded mid-compile and again at the approval gate, the release finishes on the new build without a non-determinism error', async () => {
  const taskQueue = uniqueTaskQueue('upgrade');
  const site = await makeReleaseSite(fx, { units: 6, unitMs: 700 });
  const workflowId = `release-upgrade-${Date.now()}`;
  // The build that was running: today's code with every workflow change inactive is, by the
  // patching rule, exactly what the previous build did.
  let current = await startWorker(taskQueue, await workflowBundle(), patchIds);
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath }] });
  try {
    await waitFor('the compile to be under way', async () => (await readAudit(site.auditLog)).some((a) => a.event === 'done'), 120_000);
    // Step 1 of the upgrade: the new build, changes held, replaces the old one mid-compile.
    await current.stop();
    current = await startWorker(taskQueue, await freshBundle(), patchIds);
    const deployId = `${workflowId}-deploy`;
    await waitFor('the deploy to wait for approval', async () => {
      const status = await env.client.workflow.getHandle(deployId).query(deployStatusQuery).catch(() => undefined);
      return status?.stage === 'awaiting-approval';
    }, 240_000);
    // Step 2: the hold is lifted; the run at the gate is replayed by a worker whose changes are live.
    await current.stop();
    current = await startWorker(taskQueue, await freshBundle(), []);
    await handle.signal(approveDeploySignal, { by: 'upgrade-test' });
    const result = await handle.result();

    assert.deepEqual(result.stages.map((s) => s.result), ['ok', 'ok', 'ok', 'ok', 'ok']);
    const facts = await historyFacts(handle, [`${workflowId}-compile`, `${workflowId}-sync`, deployId]);
    assert.deepEqual(facts.failedTasks, [], 'no workflow task failed on either swap');
    // Every change reached while held kept the old path; the one first reached after the hold
    // was lifted (pruning, after the approval) took the new one, as the README's procedure says.
    assert.deepEqual(facts.markers, [`${deployId}: ${Patches.pruneReleaseArtifacts}`]);
    // The world: the approved version is live and no Transfer server is left billing.
    assert.equal((await describeEnv(fx.sim))?.VersionLabel, result.deploy?.versionLabel);
    assert.equal((await fx.control.ledger()).alive, 0);
  } finally {
    await handle.terminate('test cleanup').catch(() => undefined);
    await current.stop();
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('a release started after the upgrade takes the new build’s changes', async () => {
  const taskQueue = uniqueTaskQueue('upgraded');
  const site = await makeReleaseSite(fx);
  const current = await startWorker(taskQueue, await workflowBundle(), []);
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release-upgraded-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }] });
  try {
    await handle.result();
    const facts = await historyFacts(handle, []);
    assert.deepEqual(facts.failedTasks, []);
    assert.ok(facts.markers.length > 0, 'the release recorded the changes it took');
  } finally {
    await current.stop();
    await rm(site.dir, { recursive: true, force: true });
  }
});
