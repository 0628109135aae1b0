import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { uniqueTaskQueue } from '../helpers/temporal-env.js';
import { waitFor } from '../helpers/worker-process.js';
import { DevServerProcess } from './dev-server.js';
import { disturbedRelease, expectedCompiled, FaultSim, reportWhenDone, scenario, WorkerPool, type MatrixRig, type ReleaseUnderTest } from './harness.js';

// The infrastructure under the runbook goes away mid-run: the Temporal dev server (persisted to a
// SQLite file) is stopped and started again on the same port, or the local AWS sim is restarted
// on the same state dir and ports. Workers, subprocesses and uploads carry on around the outage.

let server: DevServerProcess;
let fx: FaultSim;
let rig: MatrixRig;

before(async () => {
  [server, fx] = await Promise.all([DevServerProcess.start(), FaultSim.start({ beanstalkUpdateSeconds: 4 }), expectedCompiled(3)]);
  const pool = new WorkerPool(server.address, uniqueTaskQueue('faults-restart'));
  rig = { client: server.client, taskQueue: pool.taskQueue, fx, pool };
  await pool.fill();
});
after(async () => {
  await rig?.pool.stopAll();
  await fx?.close();
  await server?.close();
});
reportWhenDone();

const bulk = { files: 30, bytes: 2_000_000 };

async function midUpload(release: ReleaseUnderTest): Promise<void> {
  await waitFor('a few files uploaded', async () => release.witness.completed('bulk/').length >= 4, 120_000, 20);
}

scenario('Temporal dev server stopped and restarted mid-upload', { trimmed: true }, () =>
  disturbedRelease(rig, 'restart-temporal-upload', { bulk }, async (release) => {
    await midUpload(release);
    const downMs = await server.restart(3000);
    return `server down ${(downMs / 1000).toFixed(1)} s while the upload ran on`;
  }, { uploadCuts: 1 }),
);

scenario('Temporal dev server stopped and restarted mid health wait', {}, () =>
  disturbedRelease(rig, 'restart-temporal-health', {}, async (release) => {
    await release.waitChild('deploy', 'waiting for health', (s) => s.stage === 'waiting-health');
    const downMs = await server.restart(2000);
    return `server down ${(downMs / 1000).toFixed(1)} s during the health wait`;
  }),
);

scenario('AWS sim restarted (same state dir and ports) mid-upload', {}, () =>
  disturbedRelease(rig, 'restart-sim-upload', { bulk }, async (release) => {
    await midUpload(release);
    await fx.restart(1500);
    const result = await release.handle.result();
    assert.ok((result.sync?.uploadAttempt ?? 0) >= 2, 'the cut upload was resumed by a later attempt');
    return `SFTP and API cut for 1.5 s; the upload resumed (attempt ${result.sync?.uploadAttempt ?? '?'})`;
  }, { uploadCuts: 1 }),
);

scenario('AWS sim restarted (same state dir and ports) mid health wait', {}, () =>
  disturbedRelease(rig, 'restart-sim-health', {}, async (release) => {
    await release.waitChild('deploy', 'waiting for health', (s) => s.stage === 'waiting-health');
    await fx.restart(1500);
    return 'Beanstalk API down 1.5 s mid-update; the update finished on schedule from the stored state';
  }),
);
