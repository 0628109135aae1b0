import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { restartsCompleted, trendfinderDemo } from '../client/demo-sites/trendfinder.js';
import { checkBucketMatches } from '../client/demo-sites/python-app.js';
import { scheduleKinds } from '../client/schedule-kinds.js';
import { upsertSchedule } from '../client/upsert-schedule.js';
import { loadConfig } from '../config/load.js';
import { releaseWorkflow, type ReleaseResult } from '../workflows/release.js';
import { releaseArgs, startPythonSite, type PythonSiteFixture } from './helpers/python-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { startDevServer, startPollingWorker, uniqueTaskQueue } from './helpers/temporal-env.js';
import { waitFor } from './helpers/worker-process.js';

// TrendFinder's weekly job (pipeline → S3 → restart-app-server) as a data-only release on the
// sim: the week's date/trend/plot tree lands in the bucket byte for byte, the app servers restart
// (the sim's own record of RestartAppServer), a second run of the same week uploads nothing, and
// the Temporal Schedule that replaces the cron fires twice with both weeks visible in the world.

const taskQueue = uniqueTaskQueue('trendfinder');
let env: TestWorkflowEnvironment;
let fx: PythonSiteFixture;
let client: Client;

suiteHooks(async () => {
  const server = await startDevServer();
  const site = await startPythonSite(trendfinderDemo);
  // A scheduled run names its site only: the worker finds the config as `npm run worker` does.
  process.env.RUNBOOK_CONFIG = site.configPath;
  await site.editConfig((c) => {
    (c.compile as { steps: { env?: Record<string, string> }[] }).steps[0]!.env = { TRENDFINDER_DATE: '2026-11-23' };
  });
  const polling = await startPollingWorker(server, taskQueue);
  return { server, site, stop: async () => { await polling.stop(); await site.close(); await server.teardown(); } };
}, (s) => {
  env = s.server;
  fx = s.site;
  client = env.client;
});

const region = 'us-east-1';

async function release(workflowId: string): Promise<ReleaseResult> {
  return client.workflow.execute(releaseWorkflow, { taskQueue, workflowId, args: releaseArgs(trendfinderDemo, fx.configPath) as never, workflowExecutionTimeout: '5 minutes' });
}

test('the weekly data-only release: the week in S3 byte for byte, the app servers restarted (RestartAppServer), no approval, no new version', async () => {
  // The seed made the app's one version and environment (eb create, long ago).
  const seeded = { versions: fx.count('elasticbeanstalk', 'CreateApplicationVersion'), updates: fx.count('elasticbeanstalk', 'UpdateEnvironment') };
  const result = await release('trendfinder-week-1');
  assert.deepEqual(result.stages.map((s) => [s.stage, s.result]), [['compile', 'ok'], ['sync', 'ok'], ['restart', 'ok']]);
  assert.equal(result.deploy?.outcome, 'restarted');
  assert.equal(result.sync?.uploaded.files, 10, 'five plots of df.csv and kwargs.json');
  const lines = await trendfinderDemo.verify(fx.sim, fx.configPath);
  assert.match(lines[0] ?? '', /^s3:\/\/trendfinder-data\/trends\/: 10 files byte-identical/);
  assert.equal(fx.count('elasticbeanstalk', 'RestartAppServer'), 1, 'the sim answered one RestartAppServer');
  assert.equal(await restartsCompleted(fx.sim, region), 1);
  assert.equal(fx.count('elasticbeanstalk', 'CreateApplicationVersion'), seeded.versions, 'a data-only release makes no version');
  assert.equal(fx.count('elasticbeanstalk', 'UpdateEnvironment'), seeded.updates);
});

test('the same week again: nothing uploaded (the sync says so), the app servers restarted once more', async () => {
  const puts = fx.count('s3', 'PutObject') + fx.count('s3', 'CreateMultipartUpload');
  const result = await release('trendfinder-week-1-again');
  assert.equal(result.sync?.uploaded.files, 0);
  assert.match(result.stages.find((s) => s.stage === 'sync')?.summary ?? '', /^uploaded 0 files/);
  assert.equal(fx.count('s3', 'PutObject') + fx.count('s3', 'CreateMultipartUpload'), puts, 'no object was sent again');
  assert.equal(fx.count('elasticbeanstalk', 'RestartAppServer'), 2);
  await checkBucketMatches(fx.sim, await loadConfig(fx.configPath), true);
});

test('the Temporal Schedule (the cron) fires twice, a week apart: both weeks in the bucket, two more restarts', async () => {
  const kind = scheduleKinds.release;
  await upsertSchedule(client, taskQueue, kind, 'trendfinder', { cronExpressions: ['0 6 * * 1'] }, { stages: ['compile', 'sync', 'restart'] });
  const handle = client.schedule.getHandle(`${kind.scheduleId}-trendfinder`);
  const described = await handle.describe();
  assert.deepEqual((described.action as { args?: unknown[] }).args, [{ stages: ['compile', 'sync', 'restart'], site: 'trendfinder' }], 'the schedule stores the site, never a path');

  const finished = async (n: number): Promise<string> => {
    const runs = await waitFor(`schedule run ${n}`, async () => {
      const actions = (await handle.describe()).info.recentActions;
      return actions.length >= n ? actions : undefined;
    }, 60_000, 250);
    const workflowId = runs[n - 1]!.action.workflow.workflowId;
    const result = (await client.workflow.getHandle(workflowId).result()) as ReleaseResult;
    assert.equal(result.deploy?.outcome, 'restarted', `${workflowId} restarted the app servers`);
    return workflowId;
  };
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  const first = await finished(1);
  await fx.editConfig((c) => {
    (c.compile as { steps: { env?: Record<string, string> }[] }).steps[0]!.env = { TRENDFINDER_DATE: '2026-11-30' };
  });
  await handle.trigger(ScheduleOverlapPolicy.SKIP);
  const second = await finished(2);
  assert.notEqual(first, second);

  assert.equal(fx.count('elasticbeanstalk', 'RestartAppServer'), 4, 'two releases by hand, two by the schedule');
  assert.equal(await restartsCompleted(fx.sim, region), 4);
  // The second week's tree is the local one now; the first week's stays (deleteExtraneous is off).
  const config = await loadConfig(fx.configPath);
  const line = await checkBucketMatches(fx.sim, config, false);
  assert.match(line, /10 files byte-identical to the local tree .*, plus 10 from earlier runs$/);
  const s3 = new S3Client({ endpoint: fx.sim.endpoint, region, forcePathStyle: true, credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'trendfinder-data', Prefix: 'trends/', Delimiter: '/' }));
  s3.destroy();
  assert.deepEqual(listed.CommonPrefixes?.map((p) => p.Prefix), ['trends/2026-11-23/', 'trends/2026-11-30/']);
  await handle.delete();
});
