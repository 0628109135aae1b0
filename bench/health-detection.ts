import { rm } from 'node:fs/promises';
import type { temporal } from '@temporalio/proto';
import { createRunbookWorker } from '../worker/create-worker.js';
import { deployWorkflow } from '../workflows/deploy.js';
import { inRegion } from '../sim/index.js';
import { makeDeploySite, seedSite, simState, startDeploySim } from '../test/helpers/deploy-env.js';
import { uniqueTaskQueue, workflowBundle } from '../test/helpers/temporal-env.js';
import type { Benchmark, BenchContext } from './lib/context.js';
import { fmt, loadAverage, sectionRun, spread, type Figure, type Section } from './lib/stats.js';
import { withDevServer } from './lib/temporal.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const UPDATE_SECONDS = 3;

export function eventMs(e: HistoryEvent): number {
  const t = e.eventTime;
  return Number(t?.seconds ?? 0) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
}

/** When the activity of this type completed, and when the workflow scheduled its next one. */
export function activityDone(events: HistoryEvent[], type: string): { completedMs: number; nextScheduledMs: number | undefined } {
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type).at(-1);
  if (!scheduled) throw new Error(`no ${type} activity in the history`);
  const completed = events.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? -1) === Number(scheduled.eventId));
  if (!completed) throw new Error(`${type} did not complete`);
  const next = events.find((e) => Number(e.eventId) > Number(completed.eventId) && (e.activityTaskScheduledEventAttributes || e.workflowExecutionCompletedEventAttributes));
  return { completedMs: eventMs(completed), nextScheduledMs: next ? eventMs(next) : undefined };
}

export const healthDetectionBenchmark: Benchmark = {
  id: 'health',
  describe: 'seconds from the sim turning the environment Green to the deploy workflow moving on, against beanstalk.pollSeconds',
  run: (ctx: BenchContext) =>
    withDevServer(async (env): Promise<Section[]> => {
      const startedAt = new Date();
      const loadBefore = loadAverage();
      const sim = await startDeploySim({ beanstalkUpdateSeconds: UPDATE_SECONDS });
      const taskQueue = uniqueTaskQueue('bench-health');
      const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
      const running = worker.run();
      const figures: Figure[] = [];
      try {
        await seedSite(sim);
        for (const pollSeconds of ctx.quick ? [2] : [2, 10]) {
          const detection: number[] = [];
          const movedOn: number[] = [];
          for (let i = 0; i < ctx.runs; i++) {
            const site = await makeDeploySite(sim, { beanstalk: { pollSeconds } });
            try {
              const begun = Date.now();
              const handle = await env.client.workflow.start(deployWorkflow, { taskQueue, workflowId: `bench-health-${pollSeconds}-${i}-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }] });
              await handle.result();
              const state = await simState(sim);
              const green = inRegion(state).eb.events
                .filter((e) => e.environmentName === 'sample-site-prod' && e.eventDate >= begun && /^Environment health has transitioned from \w+ to Ok/.test(e.message))
                .at(-1);
              if (!green) throw new Error('the sim recorded no transition to Ok during the deploy');
              const { events } = await handle.fetchHistory();
              const done = activityDone(events ?? [], 'waitForHealthyEnvironment');
              detection.push((done.completedMs - green.eventDate) / 1000);
              movedOn.push(((done.nextScheduledMs ?? done.completedMs) - green.eventDate) / 1000);
              ctx.log(`pollSeconds ${pollSeconds}, run ${i + 1}/${ctx.runs}: Green → health wait done ${fmt(detection.at(-1)!)} s, → next step scheduled ${fmt(movedOn.at(-1)!)} s; load ${loadAverage().join(' ')}`);
            } finally {
              await rm(site.dir, { recursive: true, force: true });
            }
          }
          const d = spread(movedOn);
          figures.push(
            { name: `pollSeconds ${pollSeconds}: Green → the health wait's activity completed`, unit: 's', value: spread(detection) },
            {
              name: `pollSeconds ${pollSeconds}: Green → the workflow schedules its next step (smoke check)`,
              unit: 's',
              value: d,
              target: `≤ ${pollSeconds} (one poll interval)`,
              met: d.max <= pollSeconds,
              note: `median ${fmt(d.median / pollSeconds)} of the poll interval`,
            },
          );
        }
      } finally {
        worker.shutdown();
        await running;
        await sim.close();
      }
      return [{
        id: 'health',
        title: 'Health detection',
        ...sectionRun(ctx, startedAt, loadBefore),
        figures,
        notes: [
          `A full \`deployWorkflow\` (docker double build and push, bundle, version, UpdateEnvironment, health wait, smoke check) against the sim, whose environment turns Ready and Green ${UPDATE_SECONDS} s after UpdateEnvironment; in-process worker, real dev server. healthGraceSeconds 0, as in the tests.`,
          'Green = the eventDate of the sim\'s "Environment health has transitioned from … to Ok" event (the instant the sim\'s state machine completes the update); moved on = the history timestamp of the next ActivityTaskScheduled after waitForHealthyEnvironment completed. The target is met when every run is within one poll interval (a poll-based wait cannot do better than up to one interval).',
        ],
      }];
    }),
};
