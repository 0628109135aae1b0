import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { compileWorkflow } from '../workflows/compile.js';
import { makeSampleSite, readAudit, repoRoot } from './helpers/sample-site.js';
import { buildProductionWorker } from './helpers/build.js';
import { supervisorctl, supervisord } from './helpers/python-tools.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { waitFor } from './helpers/worker-process.js';

// The worker image's process tree, without an engine: supervisord with the image's own
// worker/supervisord.conf as PID 1 of a new PID namespace, as in a container, where the death of
// PID 1 ends everything. The worker dies; its compile step must not. The worker is the image's
// too: the compiled one with its prebuilt workflow bundle (npm run build).

const run = promisify(execFile);
let env: TestWorkflowEnvironment;

before(async () => {
  env = await startDevServer();
  await buildProductionWorker();
});
after(async () => {
  await env?.teardown();
});

const readyPids = (output: string): number[] => [...output.matchAll(/worker ready: .*\(pid (\d+)\)/g)].map((m) => Number(m[1]));

test('under the image’s supervisor, a worker killed mid-step is restarted and adopts the step; nothing is compiled twice', async () => {
  const site = await makeSampleSite({
    heartbeatTimeoutSeconds: 5,
    edit: (config) => {
      const [first, second] = config.compile.steps;
      first!.env = { ...first!.env, SAMPLE_UNITS: '2', SAMPLE_UNIT_MS: '100' };
      second!.env = { ...second!.env, SAMPLE_UNITS: '6', SAMPLE_UNIT_MS: '1500' };
    },
  });
  const runDir = await mkdtemp(path.join(os.tmpdir(), 'runbook-supervisor-'));
  const taskQueue = uniqueTaskQueue('supervised');
  const conf = path.join(repoRoot, 'worker', 'supervisord.conf');
  const supervisorEnv = {
    ...process.env,
    // The image puts node on PATH; here it is this test's own node.
    PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    RUNBOOK_SUPERVISOR_RUN_DIR: runDir,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    RUNBOOK_HOST_ID: 'supervised',
    // Nothing of the test runner's own loader (tsx) reaches the worker.
    NODE_OPTIONS: '',
  };
  // Through `| cat`: the worker's log goes to supervisord's /dev/fd/1, which must be a pipe (as
  // in a container), not the socket node would give it.
  const pid1 = spawn('sh', ['-c', 'unshare --pid --fork --kill-child=SIGTERM --mount --mount-proc "$0" -c "$1" 2>&1 | cat', supervisord(), conf], {
    env: supervisorEnv, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  pid1.stdout.on('data', (c: Buffer) => (output += c.toString()));
  pid1.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => pid1.once('exit', (code) => resolve(code)));
  const ctl = (...args: string[]) => run(supervisorctl(), ['-c', conf, ...args], { env: supervisorEnv });
  try {
    await waitFor('the supervised worker to be ready', async () => {
      if (pid1.exitCode !== null) throw new Error(`supervisord exited:\n${output}`);
      return readyPids(output).length === 1;
    }, 180_000).catch((err: Error) => Promise.reject(new Error(`${err.message}:\n${output}`)));
    const handle = await env.client.workflow.start(compileWorkflow, {
      taskQueue, workflowId: `compile-supervised-${Date.now()}`, args: [{ configPath: site.configPath, skipFigures: true }],
    });
    await waitFor('step 2 to finish a unit', async () => (await readAudit(site.auditLog)).some((a) => a.part === 'interactions' && a.event === 'done'));

    // A crash: SIGKILL to the worker alone, as the OOM killer would send it.
    await ctl('signal', 'KILL', 'worker').catch((err: { stdout?: string }) => {
      // supervisorctl exits non-zero when the signalled program then exits; the kill still happened.
      if (!/worker: signalled/.test(err.stdout ?? '')) throw err;
    });
    await waitFor('supervisord to restart the worker', async () => readyPids(output).length === 2, 180_000)
      .catch((err: Error) => Promise.reject(new Error(`${err.message}:\n${output}`)));
    const [firstPid, secondPid] = readyPids(output);
    assert.notEqual(firstPid, secondPid, 'a new worker process');
    const bundle = path.join(repoRoot, 'dist', 'workflow-bundle.js');
    assert.equal(output.split(`workflows from the prebuilt bundle ${bundle}`).length - 1, 2, 'both workers load the prebuilt bundle');

    const result = await handle.result();
    assert.deepEqual(result.steps.map((s) => [s.name, s.adopted]), [['expression', false], ['interactions', true]]);
    const audit = await readAudit(site.auditLog);
    const done = audit.filter((a) => a.part === 'interactions' && a.event === 'done').map((a) => a.unit);
    assert.deepEqual(done, [1, 2, 3, 4, 5, 6], 'each unit of step 2 compiled once, in order');
    assert.equal(new Set(audit.filter((a) => a.part === 'interactions').map((a) => a.pid)).size, 1, 'one process did all of step 2');
    assert.equal(pid1.exitCode, null, 'PID 1 never went down');
  } finally {
    // As `docker compose stop` does: PID 1 is told to stop, and it stops the worker.
    await ctl('shutdown').catch(() => pid1.kill('SIGTERM'));
    await exited;
    await rm(runDir, { recursive: true, force: true });
    await rm(site.dir, { recursive: true, force: true });
    assert.match(output, /stopped: worker \(exit status 0\)/, `supervisord stops the worker cleanly:\n${output.slice(-2000)}`);
  }
});
