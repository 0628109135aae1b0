import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ProcessRecord } from '../activities/process/tracked-process.js';
import { groupAlive, isAlive, liveGroupMembers } from '../activities/process/process-identity.js';
import { compileWorkflow } from '../workflows/compile.js';
import { makeSampleSite, readAudit, type SampleSite } from './helpers/sample-site.js';
import { startServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker-process.js';
import { runPath } from './helpers/run-dirs.js';

let env: TestWorkflowEnvironment;
suiteHooks(startServer, (server) => (env = server.env));

/** Step 1 short, step 2 long enough that a retry finds it still running. */
function crashSite(step2UnitMs: number): Promise<SampleSite> {
  return makeSampleSite({
    heartbeatTimeoutSeconds: 5,
    edit: (config) => {
      const [first, second] = config.compile.steps;
      first!.env = { ...first!.env, SAMPLE_UNITS: '3', SAMPLE_UNIT_MS: '100' };
      second!.env = { ...second!.env, SAMPLE_UNITS: '8', SAMPLE_UNIT_MS: String(step2UnitMs) };
    },
  });
}

async function stepRecord(site: SampleSite, workflowId: string, step: string): Promise<ProcessRecord> {
  const file = runPath(site.dir, workflowId, `step-${step}`, 'record.json');
  return JSON.parse(await readFile(file, 'utf8')) as ProcessRecord;
}

/** Both workers start before the run; the one whose child the step is gets killed. */
async function twoWorkers(taskQueue: string): Promise<[WorkerProcess, WorkerProcess]> {
  return Promise.all([startWorkerProcess({ address: env.address, taskQueue }), startWorkerProcess({ address: env.address, taskQueue })]);
}

async function ownerOf(workers: WorkerProcess[], pid: number): Promise<{ owner: WorkerProcess; other: WorkerProcess }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  const owner = workers.find((w) => w.pid === ppid);
  const other = workers.find((w) => w.pid !== ppid);
  assert.ok(owner && other, `the step's supervisor ${pid} is a child of one of the workers (parent ${ppid})`);
  return { owner, other };
}

function assertEachUnitOnce(audit: Awaited<ReturnType<typeof readAudit>>, part: string, units: number, allowedRedo = 0): void {
  const done = audit.filter((a) => a.event === 'done' && a.part === part).map((a) => a.unit);
  assert.deepEqual([...new Set(done)].sort((a, b) => a - b), Array.from({ length: units }, (_, i) => i + 1), `${part}: every unit compiled`);
  assert.ok(done.length <= units + allowedRedo, `${part}: at most ${allowedRedo} unit(s) redone, got ${done.length - units}`);
}

test('a worker killed with SIGKILL mid-step: the next worker adopts the running step, nothing is redone', async () => {
  const site = await crashSite(2000);
  const taskQueue = uniqueTaskQueue('crash-adopt');
  const workflowId = `compile-crash-adopt-${Date.now()}`;
  const workers = await twoWorkers(taskQueue);
  const handle = await env.client.workflow.start(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, skipFigures: true }] });
  await waitFor('step 2 to finish unit 1', async () => (await readAudit(site.auditLog)).some((a) => a.part === 'interactions' && a.event === 'done'));
  const record = await stepRecord(site, workflowId, 'interactions');
  const { owner, other: second } = await ownerOf(workers, record.pid);
  await owner.crash();
  assert.ok(isAlive(record.pid), 'the step outlives its worker');
  try {
    const result = await handle.result();
    assert.deepEqual(result.steps.map((s) => [s.name, s.adopted]), [['expression', false], ['interactions', true]]);
    const audit = await readAudit(site.auditLog);
    assertEachUnitOnce(audit, 'expression', 3);
    assertEachUnitOnce(audit, 'interactions', 8);
    const pids = new Set(audit.filter((a) => a.part === 'interactions').map((a) => a.pid));
    assert.equal(pids.size, 1, 'one process did all of step 2');
    assert.ok(!groupAlive(record.pgid), 'nothing of the step is left running');
  } finally {
    await second.stop();
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('a worker and its step both killed (a reboot): the retry resumes after the finished units', async () => {
  const site = await crashSite(700);
  const taskQueue = uniqueTaskQueue('crash-resume');
  const workflowId = `compile-crash-resume-${Date.now()}`;
  const workers = await twoWorkers(taskQueue);
  const handle = await env.client.workflow.start(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, skipFigures: true }] });
  await waitFor('step 2 to finish 3 units', async () => (await readAudit(site.auditLog)).filter((a) => a.part === 'interactions' && a.event === 'done').length >= 3);
  const record = await stepRecord(site, workflowId, 'interactions');
  const { owner, other: second } = await ownerOf(workers, record.pid);
  await owner.crash();
  process.kill(-record.pgid, 'SIGKILL');
  await waitFor('the step to die', async () => !groupAlive(record.pgid));
  try {
    const result = await handle.result();
    const step2 = result.steps.find((s) => s.name === 'interactions');
    assert.equal(step2?.adopted, false);
    assert.notEqual(step2?.resumedFrom, null, 'the retry was told where to resume');
    const audit = await readAudit(site.auditLog);
    assertEachUnitOnce(audit, 'expression', 3);
    // Only the unit in flight when the process died may be compiled twice.
    assertEachUnitOnce(audit, 'interactions', 8, 1);
    const log = await readFile(runPath(site.dir, workflowId, 'step-interactions', 'output.log'), 'utf8');
    assert.match(log, /already compiled, skipped/);
  } finally {
    await second.stop();
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('a supervisor killed while its child lives on: the leftover is ended before the step starts anew', async () => {
  const site = await crashSite(2000);
  const taskQueue = uniqueTaskQueue('crash-orphan');
  const workflowId = `compile-crash-orphan-${Date.now()}`;
  const workers = await twoWorkers(taskQueue);
  const handle = await env.client.workflow.start(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, skipFigures: true }] });
  await waitFor('step 2 to start a unit', async () => (await readAudit(site.auditLog)).some((a) => a.part === 'interactions'));
  const record = await stepRecord(site, workflowId, 'interactions');
  const { owner, other: second } = await ownerOf(workers, record.pid);
  await owner.crash();
  process.kill(record.pid, 'SIGKILL'); // the supervisor only: the compile itself keeps running
  await waitFor('the supervisor to die', async () => !isAlive(record.pid) || liveGroupMembers(record.pgid)?.includes(record.pid) === false);
  assert.ok(groupAlive(record.pgid), 'the orphaned compile is still running');
  try {
    await handle.result();
    const audit = (await readAudit(site.auditLog)).filter((a) => a.part === 'interactions');
    const pids = [...new Set(audit.map((a) => a.pid))];
    assert.equal(pids.length, 2, 'the orphan and one new process');
    // Never two at once: every line of the orphan comes before the first line of the new process.
    const lastOfOrphan = audit.map((a) => a.pid).lastIndexOf(pids[0]!);
    const firstOfNew = audit.map((a) => a.pid).indexOf(pids[1]!);
    assert.ok(lastOfOrphan < firstOfNew, 'the orphan was ended before the new process started');
    assertEachUnitOnce(audit, 'interactions', 8, 1);
  } finally {
    await second.stop();
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('a worker stopped with SIGTERM shuts down cleanly and leaves the step running for the next worker', async () => {
  const site = await crashSite(1500);
  const taskQueue = uniqueTaskQueue('graceful');
  const workflowId = `compile-graceful-${Date.now()}`;
  const workers = await twoWorkers(taskQueue);
  const handle = await env.client.workflow.start(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, skipFigures: true }] });
  await waitFor('step 2 to finish unit 1', async () => (await readAudit(site.auditLog)).some((a) => a.part === 'interactions' && a.event === 'done'));
  const record = await stepRecord(site, workflowId, 'interactions');
  const { owner, other: second } = await ownerOf(workers, record.pid);
  const started = Date.now();
  assert.equal(await owner.stop(), 0, `the worker exits 0 on SIGTERM:\n${owner.output()}`);
  assert.ok(Date.now() - started < 15_000, 'within the shutdown grace time');
  assert.ok(isAlive(record.pid), 'a worker restart is not a reason to kill a day of compute');
  try {
    const result = await handle.result();
    assert.equal(result.steps.find((s) => s.name === 'interactions')?.adopted, true);
    const audit = await readAudit(site.auditLog);
    assertEachUnitOnce(audit, 'interactions', 8);
    assert.equal(new Set(audit.filter((a) => a.part === 'interactions').map((a) => a.pid)).size, 1);
  } finally {
    await second.stop();
    await rm(site.dir, { recursive: true, force: true });
  }
});
