import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RunningSim } from '../sim/index.js';
import { deployWorkflow } from '../workflows/deploy.js';
import { describeEnv, makeDeploySite, seedSite, startDeploySim } from './helpers/deploy-env.js';
import { waitForStage } from './helpers/deploy-run.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { startWorkerProcess } from './helpers/worker-process.js';
import { runPath } from './helpers/run-dirs.js';

let env: TestWorkflowEnvironment;
let sim: RunningSim;

before(async () => {
  // A slow update (8 s) so the worker can be killed while the health wait is polling.
  [env, sim] = await Promise.all([startDevServer(), startDeploySim({ beanstalkUpdateSeconds: 8 })]);
  await seedSite(sim);
});
after(async () => {
  await env?.teardown();
  await sim?.close();
});

test('a worker SIGKILLed during the health wait: the next worker resumes the wait and the deploy finishes', async () => {
  const site = await makeDeploySite(sim, { beanstalk: { pollSeconds: 0.5 } });
  const taskQueue = uniqueTaskQueue('deploy-crash');
  const workflowId = `deploy-sample-site-crash-${Date.now()}`;
  const first = await startWorkerProcess({ address: env.address, taskQueue });
  const handle = await env.client.workflow.start(deployWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, autoApprove: true }] });
  try {
    await waitForStage(handle, 'waiting-health');
  } catch (err) {
    await first.crash();
    throw err;
  }
  await new Promise((resolve) => setTimeout(resolve, 1500)); // a few polls, so there is something to resume from
  await first.crash();
  const killedAt = Date.now();

  const second = await startWorkerProcess({ address: env.address, taskQueue });
  try {
    const result = await handle.result();
    assert.equal(result.deployed, true);
    assert.equal(result.healthWaitResumed, true, 'the second worker resumed the wait from its heartbeat');
    assert.equal(result.finalHealth?.color, 'Green');
    assert.equal((await describeEnv(sim))?.VersionLabel, result.versionLabel);
    // Every event was streamed once: resuming did not replay the ones already logged.
    const events = (await readFile(runPath(site.dir, workflowId, 'beanstalk-events.log'), 'utf8')).trim().split('\n');
    assert.equal(new Set(events).size, events.length, 'no event logged twice');
    assert.ok(events.some((e) => /Environment update completed successfully/.test(e)));
    console.log(`deploy finished ${Date.now() - killedAt} ms after the worker was killed`);
  } finally {
    await second.stop();
  }
});
