import { readFile, rm } from 'node:fs/promises';
import type { ProcessRecord } from '../activities/process/tracked-process.js';
import { groupAlive } from '../activities/process/process-identity.js';
import { compileWorkflow } from '../workflows/compile.js';
import { makeSampleSite, readAudit, type SampleSite } from '../test/helpers/sample-site.js';
import { uniqueTaskQueue } from '../test/helpers/temporal-env.js';
import { startWorkerProcess, waitFor } from '../test/helpers/worker-process.js';
import type { Benchmark, BenchContext } from './lib/context.js';
import { fmt, loadAverage, sectionRun, spread, type Section } from './lib/stats.js';
import { withDevServer } from './lib/temporal.js';
import { runPath } from '../test/helpers/run-dirs.js';

const UNITS = 10;
const STEP = 'interactions';
/** The config minimum: the floor on how fast Temporal can notice a dead worker. */
const HEARTBEAT_TIMEOUT_SECONDS = 5;

/** One step of 10 units, the minimum heartbeat timeout, figures skipped. */
function compileSite(unitMs: number): Promise<SampleSite> {
  return makeSampleSite({
    units: UNITS,
    unitMs,
    heartbeatTimeoutSeconds: HEARTBEAT_TIMEOUT_SECONDS,
    edit: (config) => {
      config.compile.steps = config.compile.steps.filter((s) => (s as { name?: string }).name === STEP);
    },
  });
}

const doneUnits = async (site: SampleSite): Promise<number> => (await readAudit(site.auditLog)).filter((a) => a.event === 'done').length;

export const resumeCostBenchmark: Benchmark = {
  id: 'compile-resume',
  describe: 'a 10-unit compile killed at 50% (worker and step SIGKILLed, a reboot) and resumed, against an undisturbed run',
  run: (ctx: BenchContext) =>
    withDevServer(async (env): Promise<Section[]> => {
      const startedAt = new Date();
      const loadBefore = loadAverage();
      const unitMs = ctx.quick ? 1000 : 3000;
      const undisturbed: number[] = [];
      const resumed: number[] = [];
      const ratio: number[] = [];
      const redone: number[] = [];
      const detect: number[] = [];
      const workerStart: number[] = [];
      for (let i = 0; i < ctx.runs; i++) {
        const taskQueue = uniqueTaskQueue('bench-compile');
        // Undisturbed: a warm worker, the workflow from start to result.
        {
          const site = await compileSite(unitMs);
          const worker = await startWorkerProcess({ address: env.address, taskQueue });
          try {
            const t0 = Date.now();
            await env.client.workflow.execute(compileWorkflow, { taskQueue, workflowId: `bench-compile-clean-${i}-${Date.now()}`, args: [{ configPath: site.configPath, skipFigures: true }] });
            undisturbed.push((Date.now() - t0) / 1000);
          } finally {
            await worker.stop();
            await rm(site.dir, { recursive: true, force: true });
          }
        }
        // Killed at 50%: the worker and the step's whole process group get SIGKILL (the machine
        // went down); the worker comes back at once, as a service manager restarts it.
        {
          const site = await compileSite(unitMs);
          const worker = await startWorkerProcess({ address: env.address, taskQueue });
          let next: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
          try {
            const workflowId = `bench-compile-killed-${i}-${Date.now()}`;
            const t0 = Date.now();
            const handle = await env.client.workflow.start(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: site.configPath, skipFigures: true }] });
            await waitFor('half the units', async () => (await doneUnits(site)) >= UNITS / 2, 120_000, 50);
            const record = JSON.parse(await readFile(runPath(site.dir, workflowId, `step-${STEP}`, 'record.json'), 'utf8')) as ProcessRecord;
            await worker.crash();
            try {
              process.kill(-record.pgid, 'SIGKILL');
            } catch {
              // Already gone with its worker.
            }
            await waitFor('the step to die', async () => !groupAlive(record.pgid), 10_000, 20);
            const killedAt = Date.now();
            next = await startWorkerProcess({ address: env.address, taskQueue });
            workerStart.push((Date.now() - killedAt) / 1000);
            const firstPid = (await readAudit(site.auditLog))[0]?.pid;
            const detected = await waitFor('the step to run again', async () => (await readAudit(site.auditLog)).some((a) => a.pid !== firstPid), 120_000, 50)
              .then(() => (Date.now() - killedAt) / 1000, () => NaN);
            detect.push(detected);
            await handle.result();
            const wall = (Date.now() - t0) / 1000;
            resumed.push(wall);
            ratio.push(wall / undisturbed[undisturbed.length - 1]!);
            redone.push((await doneUnits(site)) - UNITS);
            ctx.log(`run ${i + 1}/${ctx.runs}: undisturbed ${fmt(undisturbed.at(-1)!)} s, killed at 50% and resumed ${fmt(wall)} s (ratio ${fmt(ratio.at(-1)!)}), kill → step running again ${fmt(detect.at(-1)!)} s, units redone ${redone.at(-1)}; load ${loadAverage().join(' ')}`);
          } finally {
            await next?.stop();
            await rm(site.dir, { recursive: true, force: true });
          }
        }
      }
      const r = spread(ratio);
      return [{
        id: 'compile-resume',
        title: 'Resume cost: a 10-unit compile killed at 50% and resumed',
        ...sectionRun(ctx, startedAt, loadBefore),
        figures: [
          { name: 'undisturbed compile, wall time', unit: 's', value: spread(undisturbed) },
          { name: 'killed at 50% and resumed, wall time', unit: 's', value: spread(resumed) },
          { name: 'ratio resumed / undisturbed (a naive re-run from scratch: 1.5)', unit: '×', value: r, target: '≤ 1.1', met: r.median <= 1.1, note: r.median <= 1.1 ? undefined : 'see "Why" below' },
          { name: 'kill → the step running again (heartbeat timeout + retry backoff + worker start)', unit: 's', value: spread(detect) },
          { name: 'of which: the new worker process starting (to "worker ready")', unit: 's', value: spread(workerStart) },
          { name: 'units compiled twice', unit: 'units', value: spread(redone), target: '≤ 1 (the unit in flight)', met: Math.max(...redone) <= 1 },
        ],
        notes: [
          `The sample compile (examples/sample-site/viz/data.ts) as one step of ${UNITS} units of ${unitMs / 1000} s each, run by \`compileWorkflow\` (figures skipped) on a real Temporal dev server with \`npm run worker\` processes; compile.heartbeatTimeoutSeconds = ${HEARTBEAT_TIMEOUT_SECONDS} (the config's minimum), retryInitialSeconds = 1 (the test sample's).`,
          'At the 5th finished unit (the audit log) the worker is SIGKILLed and so is the step\'s process group (a reboot: nothing survives), and a new worker is started at once. The retry comes after the heartbeat timeout and restarts the step with RUNBOOK_RESUME_FROM, so it skips the finished units.',
          'Wall time is from workflow start to result, both runs with a worker already running at the start.',
        ],
      }];
    }),
};
