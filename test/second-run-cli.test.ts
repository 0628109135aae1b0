import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ProcessRecord } from '../activities/process/tracked-process.js';
import { isSameProcess } from '../activities/process/process-identity.js';
import { compileWorkflow } from '../workflows/compile.js';
import { inRegion } from '../sim/index.js';
import { describeEnv, simState } from './helpers/deploy-env.js';
import { npmRun } from './helpers/deploy-run.js';
import { makeReleaseSite, startReleaseSim, type ReleaseFixture } from './helpers/release-site.js';
import { runDirsOf } from './helpers/run-dirs.js';
import { readAudit, type SampleSite } from './helpers/sample-site.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { snapshotMtimes } from './helpers/tree-times.js';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker-process.js';

// The CLI and schedules as people use them week after week: the same ids, the worker's config.

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
const taskQueue = uniqueTaskQueue('second-run-cli');

before(async () => {
  env = await startDevServer();
  fx = await startReleaseSim();
  process.env.TEMPORAL_TASK_QUEUE = taskQueue;
});
after(async () => {
  await fx?.close();
  await env?.teardown();
});

async function withWorker<T>(site: SampleSite, fn: (worker: WorkerProcess) => Promise<T>): Promise<T> {
  const worker = await startWorkerProcess({ address: env.address, taskQueue, env: { RUNBOOK_CONFIG: site.configPath } });
  try {
    return await fn(worker);
  } finally {
    await worker.stop();
  }
}

const doneUnits = async (site: SampleSite): Promise<number> => (await readAudit(site.auditLog)).filter((e) => e.event === 'done').length;

test('the README scenario: `start-workflow -- release --input {"stages":["compile","figures"]} --wait` twice recompiles every step the second time', async () => {
  const site = await makeReleaseSite(fx);
  process.env.RUNBOOK_CONFIG = site.configPath;
  try {
    await withWorker(site, async () => {
      const input = '{"stages":["compile","figures"]}';
      const first = await npmRun('start-workflow', ['release', '--input', input, '--wait', '--json'], env.address);
      assert.equal(first.code, 0, first.stderr);
      const afterFirst = await snapshotMtimes(path.join(site.dir, 'data'));
      const unitsFirst = await doneUnits(site);
      const second = await npmRun('start-workflow', ['release', '--input', input, '--wait', '--json'], env.address);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(JSON.parse(second.stdout.trim().split('\n').at(-1) ?? '{}').workflowId, 'release-sample-site', 'the same id both times');
      assert.equal(await doneUnits(site), unitsFirst * 2, 'every unit compiled again');
      const afterSecond = await snapshotMtimes(path.join(site.dir, 'data'));
      for (const [file, mtime] of afterFirst) assert.ok((afterSecond.get(file) ?? 0) > mtime, `${file} rewritten`);
      assert.equal(runDirsOf(site.dir, 'release-sample-site-compile').length, 2);
    });
  } finally {
    delete process.env.RUNBOOK_CONFIG;
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('compile, sync and deploy started twice with the same --id each do their work again', async () => {
  const site = await makeReleaseSite(fx);
  const stamp = Date.now();
  try {
    await withWorker(site, async () => {
      const run = async (kind: string, id: string, ...extra: string[]): Promise<void> => {
        const out = await npmRun('start-workflow', [kind, '--config', site.configPath, '--id', id, '--wait', ...extra], env.address);
        assert.equal(out.code, 0, `${kind} ${id}: ${out.stderr}`);
      };
      const compileId = `compile-weekly-${stamp}`;
      await run('compile', compileId);
      const units = await doneUnits(site);
      await run('compile', compileId);
      assert.equal(await doneUnits(site), units * 2, 'the second compile ran every step');

      const syncId = `sync-weekly-${stamp}`;
      await run('sync', syncId);
      const servers = (await fx.control.ledger()).servers.length;
      const changed = path.join(site.dir, 'data', 'compiled', 'circos.pkl');
      await writeFile(changed, Buffer.concat([await readFile(changed), Buffer.from('week 2')]));
      await run('sync', syncId);
      const ledger = await fx.control.ledger();
      assert.equal(ledger.servers.length, servers + 1, 'the second sync provisioned and billed its own server');
      assert.equal(ledger.alive, 0);
      const remote = path.join(fx.sim.efsDir(fx.fileSystemId), 'data', 'compiled', 'circos.pkl');
      assert.deepEqual(await readFile(remote), await readFile(changed), 'the changed file reached EFS');

      const deployId = `deploy-weekly-${stamp}`;
      await run('deploy', deployId, '--auto-approve');
      const firstVersion = (await describeEnv(fx.sim))?.VersionLabel;
      await writeFile(path.join(site.dir, 'app.py'), `${await readFile(path.join(site.dir, 'app.py'), 'utf8')}\n# week 2\n`);
      await run('deploy', deployId, '--auto-approve');
      const live = await describeEnv(fx.sim);
      assert.notEqual(live?.VersionLabel, firstVersion, 'a new version is live');
      const state = await simState(fx.sim);
      const images = state.ecrPublic.repositories['sample-site']?.images ?? [];
      const version = inRegion(state).eb.versions.find((v) => v.versionLabel === live?.VersionLabel);
      const newest = [...images].sort((a, b) => b.pushedAt - a.pushedAt)[0];
      assert.ok(newest && (version?.description ?? '').includes(newest.digest), 'the live version runs the digest pushed last');
      assert.equal(runDirsOf(site.dir, deployId).length, 2);
    });
  } finally {
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('a Temporal Schedule firing the same release twice: both firings compile', async () => {
  const site = await makeReleaseSite(fx);
  try {
    await withWorker(site, async () => {
      const created = await npmRun('schedule', ['create', 'release', '--config', site.configPath, '--input', '{"stages":["compile"]}', '--every', '7d'], env.address);
      assert.equal(created.code, 0, created.stderr);
      const closedRuns = async (): Promise<number> => {
        let n = 0;
        for await (const w of env.client.workflow.list({ query: `WorkflowType = 'releaseWorkflow' AND ExecutionStatus = 'Completed'` })) if (w.taskQueue === taskQueue) n += 1;
        return n;
      };
      const before = await closedRuns();
      for (let firing = 1; firing <= 2; firing++) {
        const fired = await npmRun('schedule', ['trigger', 'release', '--config', site.configPath], env.address);
        assert.equal(fired.code, 0, fired.stderr);
        await waitFor(`firing ${firing} to complete`, async () => (await closedRuns()) >= before + firing, 120_000, 500);
      }
      const units = await doneUnits(site);
      assert.equal(units % 2, 0);
      const perRun = (await readAudit(site.auditLog)).filter((e) => e.event === 'done' && e.part === 'expression').length;
      assert.equal(perRun, 2 * 3, 'each firing compiled all 3 units of the step');
    });
  } finally {
    await npmRun('schedule', ['delete', 'release', '--config', site.configPath], env.address);
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('a worker SIGKILLed during the second run of an id adopts only the second run’s process', async () => {
  const site = await makeReleaseSite(fx, { units: 3, unitMs: 30 });
  const workflowId = `compile-adopt-second-${Date.now()}`;
  try {
    await withWorker(site, () => env.client.workflow.execute(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, skipFigures: true }] }));
    // The second run: a slower step, killed halfway.
    const config = JSON.parse(await readFile(site.configPath, 'utf8')) as { compile: { steps: { env: Record<string, string> }[] } };
    for (const step of config.compile.steps) Object.assign(step.env, { SAMPLE_UNITS: '10', SAMPLE_UNIT_MS: '400' });
    await writeFile(site.configPath, JSON.stringify(config, null, 2));
    const firstRunPids = new Set((await readAudit(site.auditLog)).filter((e) => e.part === 'expression').map((e) => e.pid));
    assert.equal(firstRunPids.size, 1);
    const crashed = await startWorkerProcess({ address: env.address, taskQueue });
    const handle = await env.client.workflow.start(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, skipFigures: true }] });
    const [firstRunDir, secondRunDir] = runDirsOf(site.dir, workflowId);
    assert.ok(firstRunDir);
    const recordOf = (dir: string): Promise<ProcessRecord | undefined> =>
      readFile(path.join(dir, 'step-expression', 'record.json'), 'utf8').then((t) => JSON.parse(t) as ProcessRecord, () => undefined);
    const second = await waitFor('the second run’s step to start', async () => {
      const dirs = runDirsOf(site.dir, workflowId);
      return dirs.length === 2 ? recordOf(dirs[1] as string) : undefined;
    });
    void secondRunDir;
    const first = await recordOf(firstRunDir);
    assert.notEqual(second.pid, first?.pid);
    assert.equal(second.runId, handle.firstExecutionRunId);
    await waitFor('a few units', async () => (await readAudit(site.auditLog)).filter((e) => !firstRunPids.has(e.pid) && e.event === 'done').length >= 2, 30_000);
    await crashed.crash();
    assert.ok(await isSameProcess(second.pid, second.procStartTime), 'the step outlives its worker');
    const result = await withWorker(site, () => handle.result());
    assert.equal(result.steps[0]?.adopted, true, 'the new worker adopted the running step');
    // The audit names the compile script's pid (a child of the recorded supervisor): one per run.
    const runPids = new Set((await readAudit(site.auditLog)).filter((e) => e.part === 'expression').map((e) => e.pid));
    assert.equal(runPids.size, 2, 'one process per run, never a third');
    const secondUnits = (await readAudit(site.auditLog)).filter((e) => e.part === 'expression' && e.event === 'done' && !firstRunPids.has(e.pid)).map((e) => e.unit);
    assert.deepEqual(secondUnits, Array.from({ length: 10 }, (_, i) => i + 1), 'the second run compiled each unit once');
  } finally {
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('a step left running by a terminated run is ended by the next run of the site, which says so', async () => {
  const site = await makeReleaseSite(fx, { units: 50, unitMs: 200 });
  const workflowId = `compile-leftover-${Date.now()}`;
  try {
    await withWorker(site, async () => {
      const first = await env.client.workflow.start(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, skipFigures: true }] });
      const record = await waitFor('the first run’s step', async () => {
        const dir = runDirsOf(site.dir, workflowId)[0];
        return dir ? readFile(path.join(dir, 'step-expression', 'record.json'), 'utf8').then((t) => JSON.parse(t) as ProcessRecord, () => undefined) : undefined;
      });
      // Terminate runs no cleanup: the process keeps running, as after a terminate from the UI.
      await first.terminate('left running on purpose');
      assert.ok(await isSameProcess(record.pid, record.procStartTime));
      const config = JSON.parse(await readFile(site.configPath, 'utf8')) as { compile: { steps: { env: Record<string, string> }[] } };
      for (const step of config.compile.steps) Object.assign(step.env, { SAMPLE_UNITS: '3', SAMPLE_UNIT_MS: '30' });
      await writeFile(site.configPath, JSON.stringify(config, null, 2));
      const result = await env.client.workflow.execute(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, skipFigures: true }] });
      assert.equal(result.steps[0]?.endedEarlier?.pid, record.pid);
      assert.equal(result.steps[0]?.endedEarlier?.runId, first.firstExecutionRunId);
      assert.equal(await isSameProcess(record.pid, record.procStartTime), false, 'the leftover process was ended');
    });
  } finally {
    await rm(site.dir, { recursive: true, force: true });
  }
});
