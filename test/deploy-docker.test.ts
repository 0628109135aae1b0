import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { groupAlive } from '../activities/process/process-identity.js';
import type { ProcessRecord } from '../activities/process/tracked-process.js';
import { simControl, type RunningSim } from '../sim/index.js';
import { deployWorkflow } from '../workflows/deploy.js';
import { bucketKeys, makeDeploySite, startDeploySuite } from './helpers/deploy-env.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue } from './helpers/temporal-env.js';
import { runPath } from './helpers/run-dirs.js';

let env: TestWorkflowEnvironment;
let sim: RunningSim;
const taskQueue = uniqueTaskQueue('deploy-docker');
suiteHooks(() => startDeploySuite(taskQueue), (suite) => ({ env, sim } = suite));

test('a docker push that fails once is retried and the deploy goes on', async () => {
  const site = await makeDeploySite(sim);
  const control = simControl(sim.controlUrl);
  await control.addFault({ service: 'docker', operation: 'push', exitCode: 1, message: 'received unexpected HTTP status: 502 Bad Gateway', count: 1 });
  const workflowId = `deploy-push-flaky-${Date.now()}`;
  const result = await env.client.workflow.execute(deployWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, autoApprove: true }] });
  assert.equal(result.deployed, true);
  assert.equal(result.image?.pushAttempts, 2);
  const log = await readFile(runPath(site.dir, workflowId, 'push-image', 'output.log'), 'utf8');
  assert.match(log, /502 Bad Gateway/);
  assert.match(log, /digest: sha256:/);
});

test('a docker push that hangs is ended at the time limit, retried, then fails clearly; nothing is deployed', async () => {
  const site = await makeDeploySite(sim, { image: { pushTimeoutMinutes: 0.05, pushAttempts: 2 } });
  const control = simControl(sim.controlUrl);
  await control.addFault({ service: 'docker', operation: 'push', hang: true });
  const keysBefore = await bucketKeys(sim);
  const workflowId = `deploy-push-hang-${Date.now()}`;
  const began = Date.now();
  try {
    const err = await env.client.workflow.execute(deployWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, autoApprove: true }] }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError);
    let cause: unknown = err;
    while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
    assert.ok(cause instanceof ApplicationFailure);
    assert.equal(cause.type, 'PushTimedOut');
    assert.match(cause.message, /docker push of public\.ecr\.aws\/sim\/sample-site:latest did not finish within 3 s \(attempt 2 of 2\); it was ended/);
    assert.ok(Date.now() - began < 40_000, 'bounded: two attempts of 3 s plus backoff');
  } finally {
    await control.clearFaults();
  }
  const record = JSON.parse(await readFile(runPath(site.dir, workflowId, 'push-image', 'record.json'), 'utf8')) as ProcessRecord;
  assert.ok(!groupAlive(record.pgid), 'the hung push is not left running');
  assert.deepEqual(await bucketKeys(sim), keysBefore, 'nothing uploaded');
});
