import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { simControl, type RunningSim } from '../sim/index.js';
import { deployWorkflow } from '../workflows/deploy.js';
import { describeEnv, makeDeploySite, startDeploySuite } from './helpers/deploy-env.js';
import { deployStatus } from './helpers/deploy-run.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue } from './helpers/temporal-env.js';
import { deployedResult } from './helpers/deploy-outcome.js';

let env: TestWorkflowEnvironment;
let sim: RunningSim;
const taskQueue = uniqueTaskQueue('deploy-rollback');
suiteHooks(() => startDeploySuite(taskQueue), (suite) => ({ env, sim } = suite));

function innermost(err: unknown): ApplicationFailure | undefined {
  let current: unknown = err;
  let found: ApplicationFailure | undefined;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) found ??= current;
    current = current.cause;
  }
  return found;
}

test('a version the sim turns Red is rolled back: the environment ends on the previous version, Green', async () => {
  const site = await makeDeploySite(sim);
  const previous = (await describeEnv(sim))?.VersionLabel;
  await simControl(sim.controlUrl).addFault({ service: 'elasticbeanstalk', operation: 'UpdateEnvironment', nextDeployRed: { environmentName: 'sample-site-prod' }, count: 1 });
  const handle = await env.client.workflow.start(deployWorkflow, {
    taskQueue,
    workflowId: `deploy-sample-site-red-${Date.now()}`,
    args: [{ configPath: site.configPath, autoApprove: true }],
  });
  const began = Date.now();
  const err = await handle.result().then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError, 'the workflow fails');
  const failure = innermost(err);
  assert.equal(failure?.type, 'DeployRolledBack');
  assert.match(failure?.message ?? '', /^Version sample-site-.* was rolled back: sample-site-prod runs sample-site-v0 again and is healthy\. Why: .*health is Red \(Severe\)/);
  assert.match(failure?.message ?? '', /ELB processes are not healthy/, 'the health causes are in the message');
  const details = failure?.details?.[0] as { rolledBack: boolean; previousVersion: string; failureType: string };
  assert.equal(details.rolledBack, true);
  assert.equal(details.previousVersion, previous);
  assert.equal(details.failureType, 'DeployUnhealthy');

  const live = await describeEnv(sim);
  assert.equal(live?.VersionLabel, previous);
  assert.equal(live?.Health, 'Green');
  assert.equal(live?.Status, 'Ready');
  const status = await deployStatus(handle);
  assert.equal(status?.stage, 'rolled-back');
  assert.ok(status?.events.some((e) => /Severe/.test(e)), 'the Red transition streamed into the status');
  console.log(`red deploy detected and rolled back in ${Date.now() - began} ms (sim update 0.5 s, poll 0.25 s)`);
});

test('throttled Beanstalk calls (Rate exceeded on 30% of calls) are survived', async () => {
  const site = await makeDeploySite(sim);
  const control = simControl(sim.controlUrl);
  const fault = await control.addFault({ service: 'elasticbeanstalk', operation: '*', errorCode: 'Throttling', message: 'Rate exceeded', rate: 0.3, seed: 7 });
  try {
    const result = await env.client.workflow.execute(deployWorkflow, {
      taskQueue,
      workflowId: `deploy-sample-site-throttled-${Date.now()}`,
      args: [{ configPath: site.configPath, autoApprove: true, skipBuild: true }],
    });
    assert.equal(result.deployed, true);
    assert.equal(deployedResult(result).autoApproved, true);
    assert.equal(result.finalHealth?.color, 'Green');
    const fired = (await control.faults()).find((f) => f.id === fault.id)?.fired ?? 0;
    assert.ok(fired >= 5, `throttling fired (${fired} times)`);
  } finally {
    await control.clearFaults();
  }
  assert.equal((await describeEnv(sim))?.Health, 'Green');
});
