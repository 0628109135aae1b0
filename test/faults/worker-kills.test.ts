import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FaultSpecInput } from '../../sim/fault-spec.js';
import { describeEnv } from '../helpers/deploy-env.js';
import { startDevServer, uniqueTaskQueue } from '../helpers/temporal-env.js';
import { waitFor } from '../helpers/worker-process.js';
import {
  abandon,
  activityOwner,
  checkWork,
  disturbedRelease,
  expectedCompiled,
  killOwner,
  currentVersion,
  FaultSim,
  makeFaultSite,
  releaseServers,
  removeFaultSite,
  reportWhenDone,
  scenario,
  startRelease,
  WorkerPool,
  type MatrixRig,
  type ReleaseChecks,
  type ReleaseUnderTest,
  type ScenarioOutcome,
} from './harness.js';
import { deployedResult } from '../helpers/deploy-outcome.js';

// Worker SIGKILL at every point of a release: two `npm run worker` processes serve the task
// queue; the one running the activity of interest is killed the hard way (no shutdown hooks) and
// a replacement starts, as a service manager would restart it.

let env: TestWorkflowEnvironment;
let fx: FaultSim;
let pool: WorkerPool;
const taskQueue = uniqueTaskQueue('faults-kill');

before(async () => {
  // A 3 s Beanstalk update leaves time to kill a worker while the health wait polls.
  [env, fx] = await Promise.all([startDevServer(), FaultSim.start({ beanstalkUpdateSeconds: 3 }), expectedCompiled(3)]);
  pool = new WorkerPool(env.address, taskQueue);
  await pool.fill();
});
after(async () => {
  await pool?.stopAll();
  await fx?.close();
  await env?.teardown();
});
reportWhenDone();

const rig = (): MatrixRig => ({ client: env.client, taskQueue, fx, pool });

type Disturb = Parameters<typeof disturbedRelease>[3];
const killScenario = (name: string, siteOptions: Parameters<typeof makeFaultSite>[2], disturb: Disturb, checks?: ReleaseChecks, faults?: FaultSpecInput[]): Promise<ScenarioOutcome> =>
  disturbedRelease(rig(), name, siteOptions, disturb, checks, faults);

scenario('baseline: undisturbed release', {}, () =>
  killScenario('baseline', {}, async () => 'nothing disturbed'),
);

scenario('worker SIGKILL mid compile step', { trimmed: true }, () =>
  killScenario('kill-compile-step', { units: 6, unitMs: 1000 }, async (release) => {
    await waitFor('step 2 to finish a unit', async () => {
      const status = await release.childStatus<{ step: string | null; done: number | null }>('compile');
      return status?.step === 'interactions' && (status.done ?? 0) >= 1;
    }, 120_000, 50);
    await killOwner(rig(), release, 'compile', 'runCompileStep');
    const result = await release.handle.result();
    assert.equal(result.compile?.steps.find((s) => s.name === 'interactions')?.adopted, true, 'the next worker adopted the running step');
    return 'the running step was adopted by the next worker';
  }),
);

scenario('worker SIGKILL between compile steps (whole fleet)', {}, () =>
  killScenario('kill-between-steps', { units: 4, unitMs: 300 }, async (release) => {
    await release.waitChild('compile', 'step 1 completed', (s) => (s.completedSteps ?? []).includes('expression'));
    await pool.crashAll();
    return 'every worker killed as step 1 completed; step 1 not run again';
  }),
);

scenario('worker SIGKILL during figure scripts', {}, () =>
  killScenario('kill-figures', { figureMs: 4000 }, async (release) => {
    await release.waitChild('compile', 'figure scripts running', (s) => s.stage === 'figures');
    await waitFor('a figure script process', async () => release.watch.seen(/pages\/\w+\.py/), 30_000, 50);
    await killOwner(rig(), release, 'compile', 'runFigureScript');
    return 'a running figure script was adopted (or its exit code read) by the next worker';
  }),
);

scenario('worker SIGKILL during Transfer provisioning, before CreateServer returns', { timeoutMs: 9 * 60_000 }, () =>
  killScenario(
    'kill-create-server',
    {},
    async (release) => {
      await release.waitChild('sync', 'provisioning', (s) => s.stage === 'provisioning');
      await waitFor('CreateServer in flight (no server yet)', async () => {
        const owner = await activityOwner(env.client, release.childId('sync'), 'provisionSftpServer');
        const faults = await fx.control.faults();
        return owner !== undefined && (faults[0]?.fired ?? 0) > 0 && owner;
      }, 60_000, 50);
      const pid = await activityOwner(env.client, release.childId('sync'), 'provisionSftpServer');
      assert.equal(releaseServers(await fx.control.ledger(), release).length, 0, 'killed before the server existed');
      await pool.crash(pid as number);
      // The sim still answers the request after the delay: the server exists, its answer is lost.
      await waitFor('the orphaned CreateServer to take effect', async () => releaseServers(await fx.control.ledger(), release).length === 1, 30_000);
      return "CreateServer's answer lost with the worker; the retry found the server by its tags";
    },
    {},
    [{ service: 'transfer', operation: 'CreateServer', latencyMs: 4000, count: 1 }],
  ),
);

scenario('worker SIGKILL during Transfer provisioning, after CreateServer returned', {}, () =>
  killScenario(
    'kill-server-starting',
    {},
    async (release) => {
      await release.waitChild('sync', 'waiting for ONLINE', (s) => s.stage === 'waiting-online');
      assert.equal(releaseServers(await fx.control.ledger(), release).length, 1);
      await killOwner(rig(), release, 'sync', 'waitForServerOnline');
      return 'killed while the new server was STARTING; the wait resumed on the same server';
    },
    {},
    [{ service: 'transfer', operation: 'DescribeServer', latencyMs: 2000, count: 2 }],
  ),
);

scenario('worker SIGKILL mid-upload', { trimmed: true }, () =>
  killScenario(
    'kill-upload',
    { bulk: { files: 30, bytes: 2_000_000 } },
    async (release) => {
      await waitFor('a few files uploaded', async () => release.witness.completed('bulk/').length >= 4, 120_000, 20);
      await killOwner(rig(), release, 'sync', 'syncDirectory');
      const result = await release.handle.result();
      assert.ok((result.sync?.uploadAttempt ?? 0) >= 2, 'the upload resumed in a later attempt');
      return `upload resumed by the next worker (attempt ${result.sync?.uploadAttempt ?? '?'})`;
    },
    { uploadCuts: 1 },
  ),
);

scenario('worker SIGKILL during SFTP teardown', { timeoutMs: 6 * 60_000 }, () =>
  killScenario(
    'kill-teardown',
    {},
    async (release) => {
      await release.waitChild('sync', 'tearing down', (s) => s.stage === 'tearing-down');
      await waitFor('DeleteServer in flight', async () => ((await fx.control.faults())[0]?.fired ?? 0) > 0, 30_000, 50);
      await killOwner(rig(), release, 'sync', 'teardownSftpServer');
      return 'killed while DeleteServer was in flight; the retry confirmed the deletion';
    },
    {},
    [{ service: 'transfer', operation: 'DeleteServer', latencyMs: 3000, count: 1 }],
  ),
);

scenario('worker SIGKILL during docker push', { timeoutMs: 6 * 60_000 }, () =>
  killScenario(
    'kill-push',
    {},
    async (release) => {
      await release.waitChild('deploy', 'pushing', (s) => s.stage === 'pushing');
      await waitFor('the docker push process', async () => release.watch.seen(/docker\.ts push/), 60_000, 50);
      await killOwner(rig(), release, 'deploy', 'pushImage');
      const result = await release.handle.result();
      return `a stuck push was adopted, ended at its time limit and pushed again (push attempts: ${result.deploy?.image?.pushAttempts ?? '?'})`;
    },
    {},
    [{ service: 'docker', operation: 'push', hang: true, count: 1 }],
  ),
);

scenario('worker SIGKILL during the health wait', { trimmed: true }, () =>
  killScenario('kill-health-wait', {}, async (release) => {
    await release.waitChild('deploy', 'waiting for health', (s) => s.stage === 'waiting-health');
    await killOwner(rig(), release, 'deploy', 'waitForHealthyEnvironment', { heartbeated: true });
    const result = await release.handle.result();
    assert.equal(deployedResult(result.deploy).healthWaitResumed, true, 'the next worker resumed the wait from its heartbeat');
    return 'the health wait resumed from its heartbeat on the next worker';
  }),
);

scenario('worker SIGKILL during rollback', {}, async () => {
  const site = await makeFaultSite(fx, 'kill-rollback', {});
  let release: ReleaseUnderTest | undefined;
  try {
    const before = await currentVersion(fx);
    await fx.control.addFault({ service: 'elasticbeanstalk', nextDeployRed: { environmentName: 'sample-site-prod' }, count: 1 });
    release = await startRelease(env.client, taskQueue, site);
    await release.waitChild('deploy', 'the rollback health wait', (s) => s.step === 'health:rollback', 180_000);
    await killOwner(rig(), release, 'deploy', 'waitForHealthyEnvironment', { heartbeated: true });
    // An undisturbed run with a Red version ends the same way: rolled back, and the release failed.
    const err = await release.handle.result().then(
      () => assert.fail('a Red version must not complete the release'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String(err.cause?.message), /rolled back/);
    const status = await release.childStatus('deploy');
    assert.equal(status?.stage, 'rolled-back');
    const environment = await describeEnv(fx.sim);
    assert.equal(environment?.VersionLabel, before, 'the environment runs the version from before the release');
    assert.equal(environment?.Health, 'Green');
    const metrics = await checkWork(fx, site, release);
    await pool.settle();
    return { outcome: `rolled back to ${before} (as undisturbed); the rollback's health wait resumed on the next worker; ${metrics.note}`, filesResent: metrics.filesResent, serverSeconds: metrics.serverSeconds };
  } finally {
    await fx.control.clearFaults();
    await abandon(release);
    await removeFaultSite(site);
  }
});
