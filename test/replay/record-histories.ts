// Records the workflow histories the replay test replays. Run after a deliberate change of a
// workflow's shape (with patched() for runs already in flight), then commit the new JSON:
//   node --import tsx test/replay/record-histories.ts [compile] [sync] [sync-pinned] [deploy] [deploy-prune] [release] [release-site-lock] [release-host-watch] [release-deploy-first] [release-notify] [janitor-notify] [s3-sync] [s3-sync-pinned] [release-website]   (default: all)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { createRunbookWorker } from '../../worker/create-worker.js';
import { compileWorkflow } from '../../workflows/compile.js';
import { syncDataWorkflow } from '../../workflows/sync.js';
import { makeSampleSite } from '../helpers/sample-site.js';
import { startDevServer, uniqueTaskQueue, workflowBundle } from '../helpers/temporal-env.js';
import { createOrphanedServer, makeSyncSite, startSyncSim, writeTree } from '../helpers/sync-site.js';
import { createBucket, makeS3Site, startS3Sim } from '../helpers/s3-site.js';
import { deployWorkflow } from '../../workflows/deploy.js';
import { approveDeploySignal, decideDeployUpdate } from '../../workflows/deploy-status.js';
import { makeDeploySite, seedSite, startDeploySim } from '../helpers/deploy-env.js';
import { waitForStage } from '../helpers/deploy-run.js';
import { releaseWorkflow } from '../../workflows/release.js';
import { releaseStatusQuery } from '../../workflows/release-status.js';
import { makeReleaseSite, startReleaseSim } from '../helpers/release-site.js';
import { waitFor } from '../helpers/worker-process.js';
import { addNotifyChannels } from '../helpers/notify-site.js';
import { sftpJanitorWorkflow } from '../../workflows/janitor.js';
import { Patches, type PatchId } from '../../workflows/patches.js';
import { seedHtanAccount, writeHtanConfig } from '../../client/demo-sites/htan-dashboard.js';

const historiesDir = fileURLToPath(new URL('./histories/', import.meta.url));

/** The fixtures of the shape before the local-reads pin keep it when re-recorded; the `-pinned` ones take it. */
const heldFor = (name: string): PatchId[] => (name.endsWith('-pinned') ? [] : [Patches.hostAffinityLocalReads]);

async function run(): Promise<void> {
  const env = await startDevServer();
  const site = await makeSampleSite({ units: 3, unitMs: 20 });
  try {
    const taskQueue = uniqueTaskQueue('record');
    const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
    const only = process.argv.slice(2);
    const wanted = (name: string): boolean => only.length === 0 || only.includes(name);
    await worker.runUntil(async () => {
      if (!wanted('compile')) return;
      const handle = await env.client.workflow.start(compileWorkflow, { taskQueue, workflowId: 'replay-compile-full', args: [{ configPath: site.configPath }] });
      await handle.result();
      const history = await handle.fetchHistory();
      const file = path.join(historiesDir, 'compile-full.json');
      await writeFile(file, historyToJSON(history));
      console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
    });
    // A sync to an S3 target (patch s3-data-target): preflight, sync the prefix, verify; no server.
    // `s3-sync` keeps the shape from before its activities went to the data host (that patch
    // held); `s3-sync-pinned` records them on the host queue.
    for (const name of ['s3-sync', 's3-sync-pinned'] as const) {
      if (!wanted(name)) continue;
      const fx = await startS3Sim();
      const s3Site = await makeS3Site(fx, { bucket: 'replay-data', prefix: 'data' });
      try {
        await createBucket(fx.client(), 'replay-data');
        await writeTree(s3Site.dataDir, { 'a/one.bin': 2000, 'b/two.bin': 3000, 'empty.txt': '' });
        const s3Worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), heldPatches: heldFor(name) });
        await s3Worker.runUntil(async () => {
          const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `replay-${name}`, args: [{ configPath: s3Site.configPath }] });
          await handle.result();
          const history = await handle.fetchHistory();
          const file = path.join(historiesDir, `${name}.json`);
          await writeFile(file, historyToJSON(history));
          console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
        });
      } finally {
        await rm(s3Site.dir, { recursive: true, force: true });
        await fx.close();
      }
    }
    // A website release (patch website-release): `{}` for a site without Beanstalk runs the
    // preflight, then compile → sync → website (smoke page, pipeline image).
    if (wanted('release-website')) {
      const fx = await startS3Sim();
      const demoDir = await mkdtemp(path.join(tmpdir(), 'replay-htan-'));
      try {
        await seedHtanAccount(fx.sim);
        const configPath = await writeHtanConfig(fx.sim, demoDir);
        const websiteWorker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
        await websiteWorker.runUntil(async () => {
          const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: 'replay-release-website', args: [{ configPath }] });
          await handle.result();
          const history = await handle.fetchHistory();
          const file = path.join(historiesDir, 'release-website.json');
          await writeFile(file, historyToJSON(history));
          console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
        });
      } finally {
        await rm(demoDir, { recursive: true, force: true });
        await fx.close();
      }
    }
    // A full sync against the sim: provision, wait, user, upload, verify, teardown; `sync-pinned`
    // with the unchanged-tree check on the host queue.
    for (const name of ['sync', 'sync-pinned'] as const) {
      if (!wanted(name)) continue;
      const fx = await startSyncSim();
      const syncSite = await makeSyncSite(fx);
      try {
        await writeTree(syncSite.dataDir, { 'a/one.bin': 2000, 'b/two.bin': 3000, 'empty.txt': '' });
        // A worker runs once: the sync gets its own.
        const syncWorker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), heldPatches: heldFor(name) });
        await syncWorker.runUntil(async () => {
          const fileName = name === 'sync' ? 'sync-full' : name;
          const handle = await env.client.workflow.start(syncDataWorkflow, { taskQueue, workflowId: `replay-${fileName}`, args: [{ configPath: syncSite.configPath }] });
          await handle.result();
          const history = await handle.fetchHistory();
          const file = path.join(historiesDir, `${fileName}.json`);
          await writeFile(file, historyToJSON(history));
          console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
        });
      } finally {
        await rm(syncSite.dir, { recursive: true, force: true });
        await fx.close();
      }
    }
    // A full deploy against the sim: build, push, approval by signal, bundle, version, update, health,
    // smoke; `deploy-prune` records the same after the prune-release-artifacts patch (its marker
    // and the prune), while deploy-full keeps the shape runs had before it.
    for (const name of ['deploy', 'deploy-prune'] as const) {
      if (!wanted(name)) continue;
      const sim = await startDeploySim();
      await seedSite(sim);
      const deploySite = await makeDeploySite(sim);
      try {
        const deployWorker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
        await deployWorker.runUntil(async () => {
          const handle = await env.client.workflow.start(deployWorkflow, { taskQueue, workflowId: `replay-${name === 'deploy' ? 'deploy-full' : name}`, args: [{ configPath: deploySite.configPath }] });
          await waitForStage(handle, 'awaiting-approval');
          await handle.signal(approveDeploySignal, { by: 'replay-recorder', note: 'recorded for the replay test' });
          await handle.result();
          const history = await handle.fetchHistory();
          const file = path.join(historiesDir, name === 'deploy' ? 'deploy-full.json' : `${name}.json`);
          await writeFile(file, historyToJSON(history));
          console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
        });
      } finally {
        await rm(deploySite.dir, { recursive: true, force: true });
        await sim.close();
      }
    }
    // A full release: the children (compile, sync, deploy) and the approval forwarded by the release.
    if (wanted('release')) {
      const fx = await startReleaseSim();
      const releaseSite = await makeReleaseSite(fx);
      try {
        const releaseWorker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
        await releaseWorker.runUntil(async () => {
          const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: 'replay-release-full', args: [{ configPath: releaseSite.configPath }] });
          await waitFor('the release to reach the deploy', async () => (await handle.query(releaseStatusQuery)).stage === 'image+deploy', 120_000, 250);
          await waitFor('the deploy to wait for approval', async () => {
            const child = await env.client.workflow.getHandle('replay-release-full-deploy').query<{ stage: string }>('status').catch(() => undefined);
            return child?.stage === 'awaiting-approval';
          }, 60_000, 250);
          await handle.signal(approveDeploySignal, { by: 'replay-recorder' });
          await handle.result();
          const history = await handle.fetchHistory();
          const file = path.join(historiesDir, 'release-full.json');
          await writeFile(file, historyToJSON(history));
          console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
        });
      } finally {
        await rm(releaseSite.dir, { recursive: true, force: true });
        await fx.close();
      }
    }
    // A release on the site lock, its deploy reporting the gate, approved by the decideDeploy Update:
    // the release's history and its deploy child's (replayed under the child's own id), from before
    // the data host watch (patch held). `release-host-watch` records the release after that patch:
    // each child watched for a host that stops taking its work, the watch cancelled when it ends.
    // `release-deploy-first` adds the deploy's target checked before the compile.
    for (const name of ['release-site-lock', 'release-host-watch', 'release-deploy-first'] as const) {
      if (!wanted(name)) continue;
      const fx = await startReleaseSim();
      const releaseSite = await makeReleaseSite(fx);
      try {
        const heldPatches = {
          'release-site-lock': [Patches.releaseWatchesDataHost, Patches.deployCheckedFirst],
          'release-host-watch': [Patches.deployCheckedFirst],
          'release-deploy-first': [],
        }[name];
        const releaseWorker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle(), heldPatches });
        await releaseWorker.runUntil(async () => {
          const workflowId = `replay-${name}`;
          const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: releaseSite.configPath }] });
          await waitFor('the release to show the gate', async () => (await handle.query(releaseStatusQuery)).approval?.waiting, 180_000, 250);
          await handle.executeUpdate(decideDeployUpdate, { args: [{ decision: 'approve', by: 'replay-recorder', note: 'recorded for the replay test' }] });
          await handle.result();
          for (const id of name === 'release-site-lock' ? [workflowId, `${workflowId}-deploy`] : [workflowId]) {
            const history = await env.client.workflow.getHandle(id).fetchHistory();
            const file = path.join(historiesDir, `${id.replace(/^replay-/, '')}.json`);
            await writeFile(file, historyToJSON(history));
            console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
          }
        });
      } finally {
        await rm(releaseSite.dir, { recursive: true, force: true });
        await fx.close();
      }
    }
    // A release that notifies a webhook and an SNS topic: every event of a release with a gate,
    // the reminder included, and a compile step past its expected duration (its child's history too).
    if (wanted('release-notify')) {
      const fx = await startReleaseSim();
      const releaseSite = await makeReleaseSite(fx, { units: 3, unitMs: 700 });
      const channels = await addNotifyChannels(fx, releaseSite.configPath, { approvalReminderHours: 1 - 3 / 3600, expectedStepHours: { expression: 0.0003 } });
      try {
        const releaseWorker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
        await releaseWorker.runUntil(async () => {
          const workflowId = 'replay-release-notify';
          const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId, args: [{ configPath: releaseSite.configPath, requestedBy: 'replay-recorder' }] });
          await waitFor('the reminder', async () => channels.receiver.accepted().some((p) => /times out at/.test(p.body.text ?? '')), 240_000, 250);
          await handle.signal(approveDeploySignal, { by: 'replay-recorder' });
          await handle.result();
          for (const id of [workflowId, `${workflowId}-compile`]) {
            const history = await env.client.workflow.getHandle(id).fetchHistory();
            const file = path.join(historiesDir, `${id.replace(/^replay-/, '')}.json`);
            await writeFile(file, historyToJSON(history));
            console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
          }
        });
      } finally {
        await channels.receiver.close();
        await rm(releaseSite.dir, { recursive: true, force: true });
        await fx.close();
      }
    }
    // The janitor deleting a server left by a run Temporal never heard of, and telling the channels.
    if (wanted('janitor-notify')) {
      const fx = await startSyncSim();
      const janitorSite = await makeSyncSite(fx);
      const channels = await addNotifyChannels(fx, janitorSite.configPath);
      try {
        await createOrphanedServer(fx, 1);
        const janitorWorker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
        await janitorWorker.runUntil(async () => {
          const handle = await env.client.workflow.start(sftpJanitorWorkflow, { taskQueue, workflowId: 'replay-janitor-notify', args: [{ configPath: janitorSite.configPath }] });
          await handle.result();
          const history = await handle.fetchHistory();
          const file = path.join(historiesDir, 'janitor-notify.json');
          await writeFile(file, historyToJSON(history));
          console.log(`wrote ${file} (${history.events?.length ?? 0} events)`);
        });
      } finally {
        await channels.receiver.close();
        await rm(janitorSite.dir, { recursive: true, force: true });
        await fx.close();
      }
    }
  } finally {
    await rm(site.dir, { recursive: true, force: true });
    await env.teardown();
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
