import { rm } from 'node:fs/promises';
import { CreateFileSystemCommand, EFSClient } from '@aws-sdk/client-efs';
import { startSim } from '../sim/index.js';
import { createRunbookWorker } from '../worker/create-worker.js';
import { releaseWorkflow } from '../workflows/release.js';
import { dockerDouble, seedSite } from '../test/helpers/deploy-env.js';
import { makeSampleSite } from '../test/helpers/sample-site.js';
import { FS_NAME } from '../test/helpers/sync-site.js';
import { uniqueTaskQueue, workflowBundle } from '../test/helpers/temporal-env.js';
import type { Benchmark, BenchContext } from './lib/context.js';
import { fmt, loadAverage, sectionRun, spread, type Figure, type Section } from './lib/stats.js';
import { withDevServer } from './lib/temporal.js';

export const engineOverheadBenchmark: Benchmark = {
  id: 'engine',
  describe: 'a full releaseWorkflow (compile, figures, sync, image, deploy) with zero-length stages: wall time',
  run: (ctx: BenchContext) =>
    withDevServer(async (env): Promise<Section[]> => {
      const startedAt = new Date();
      const loadBefore = loadAverage();
      // Instant sim: servers ONLINE, versions processed and updates done as soon as asked.
      const sim = await startSim({ transferStartSeconds: 0, beanstalkUpdateSeconds: 0, versionProcessSeconds: 0 });
      const efs = new EFSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
      await efs.send(new CreateFileSystemCommand({ CreationToken: 'bench-engine', Tags: [{ Key: 'Name', Value: FS_NAME }] }));
      efs.destroy();
      await seedSite(sim);
      const taskQueue = uniqueTaskQueue('bench-engine');
      const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
      const running = worker.run();
      const wall: number[] = [];
      const stageMs = new Map<string, number[]>();
      const historyEvents: number[] = [];
      try {
        for (let i = 0; i < ctx.runs + 1; i++) {
          const site = await makeSampleSite({
            units: 1,
            unitMs: 0,
            figureMs: 0,
            edit: (config) => {
              config.compile.steps = config.compile.steps.slice(0, 1);
              config.aws = { region: 'us-east-1', endpoint: sim.endpoint, sftpEndpoint: `${sim.sftpHost}:${sim.sftpPort}` };
              config.data = { localDir: 'data', remoteDir: '/data', deleteExtraneous: true };
              config.transfer = { efsFileSystem: FS_NAME, userRole: 'transfer-efs-access', posixUid: 1000, posixGid: 1000, pollSeconds: 0.1, heartbeatTimeoutSeconds: 5, retryInitialSeconds: 0.5 };
              config.image = { ...(config.image as Record<string, unknown>), dockerPath: dockerDouble };
              config.beanstalk = { ...(config.beanstalk as Record<string, unknown>), pollSeconds: 0.1, healthGraceSeconds: 0, smokeTimeoutSeconds: 5, timeoutMinutes: 2 };
            },
          });
          try {
            const t0 = Date.now();
            const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `bench-engine-${i}-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }] });
            const result = await handle.result();
            const seconds = (Date.now() - t0) / 1000;
            const { events } = await handle.fetchHistory();
            // The first run warms the worker (workflow cache, SDK clients, tsx for the site scripts): not counted.
            if (i === 0) {
              ctx.log(`warm-up run: ${fmt(seconds)} s (not counted)`);
              continue;
            }
            wall.push(seconds);
            historyEvents.push(events?.length ?? 0);
            // Stages that share a child workflow (compile+figures, image+deploy) report its duration once.
            const children = new Map<string, { stages: string[]; ms: number }>();
            for (const s of result.stages) {
              const key = s.workflowId ?? s.stage;
              const entry = children.get(key) ?? { stages: [], ms: s.durationMs };
              entry.stages.push(s.stage);
              children.set(key, entry);
            }
            for (const c of children.values()) stageMs.set(c.stages.join('+'), [...(stageMs.get(c.stages.join('+')) ?? []), c.ms / 1000]);
            ctx.log(`run ${i}/${ctx.runs}: ${fmt(seconds)} s (${result.stages.map((s) => `${s.stage} ${fmt(s.durationMs / 1000)} s`).join(', ')}); load ${loadAverage().join(' ')}`);
          } finally {
            await rm(site.dir, { recursive: true, force: true });
          }
        }
      } finally {
        worker.shutdown();
        await running;
        await sim.close();
      }
      const figures: Figure[] = [
        { name: 'full releaseWorkflow, zero-length stages, wall time', unit: 's', value: spread(wall) },
        ...[...stageMs].map(([stage, runs]): Figure => ({ name: `child workflow ${stage} (as the release reports it)`, unit: 's', value: spread(runs) })),
        { name: 'events in the release workflow\'s own history', unit: 'events', value: spread(historyEvents) },
      ];
      return [{
        id: 'engine',
        title: 'Engine overhead: a full release with zero-length stages',
        ...sectionRun(ctx, startedAt, loadBefore),
        figures,
        notes: [
          '`releaseWorkflow` with `autoApprove` on a real dev server and an in-process worker: a compile of one step of one unit of 0 ms (the sample compile still starts a Node process and writes and validates its feather files), the three figure scripts at 0 ms (three Python processes), a sync of that small data dir through the sim (server ONLINE at once, poll 0.1 s), the docker double\'s build and push, a deploy whose version processing and environment update complete at once (poll 0.1 s, no health grace). What remains is the engine: activities, child workflows, process starts, polls.',
          'One warm-up run first, not counted.',
        ],
      }];
    }),
};
