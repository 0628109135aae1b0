import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FaultSpecInput } from '../../sim/fault-spec.js';
import { writeTree } from '../helpers/sync-site.js';
import { waitFor } from '../helpers/worker-process.js';
import {
  abandon,
  checkCancelledRelease,
  currentVersion,
  makeFaultSite,
  releaseServers,
  removeFaultSite,
  scenario,
  startRelease,
  type FaultSite,
  type ReleaseUnderTest,
  useMatrixRig,
  type ScenarioOutcome,
} from './harness.js';

// Cancellation from the client (as `temporal workflow cancel` or the UI's Cancel does) at every
// stage of a release: it must end cancelled, with no subprocess of the site left and no Transfer
// server alive within a minute, and the environment on the version it ran before.

const rig = useMatrixRig('faults-cancel', 4);

async function cancelScenario(
  name: string,
  siteOptions: Parameters<typeof makeFaultSite>[2],
  reach: (release: ReleaseUnderTest, site: FaultSite) => Promise<string>,
  opts: { faults?: FaultSpecInput[]; autoApprove?: boolean; prepare?: (site: FaultSite) => Promise<void>; after?: (site: FaultSite, release: ReleaseUnderTest) => Promise<void> } = {},
): Promise<ScenarioOutcome> {
  const { fx } = rig();
  const site = await makeFaultSite(fx, name, siteOptions);
  let release: ReleaseUnderTest | undefined;
  try {
    const before = await currentVersion(fx);
    await opts.prepare?.(site);
    for (const fault of opts.faults ?? []) await fx.control.addFault(fault);
    release = await startRelease(rig().client, rig().taskQueue, site, { autoApprove: opts.autoApprove ?? true });
    const where = await reach(release, site);
    const cancelledAt = Date.now();
    await release.handle.cancel();
    const { serverSeconds, cleanMs } = await checkCancelledRelease(fx, site, release, cancelledAt, before);
    await opts.after?.(site, release);
    await rig().pool.settle();
    const servers = releaseServers(await fx.control.ledger(), release).length;
    return {
      outcome: `cancelled ${where}; no subprocess left and ${servers ? 'its server deleted' : 'no server created'} ${(cleanMs / 1000).toFixed(1)} s after the cancel; environment still on ${before}`,
      filesResent: null,
      serverSeconds,
    };
  } finally {
    await fx.control.clearFaults().catch(() => undefined);
    await abandon(release);
    await removeFaultSite(site);
  }
}

scenario('cancel during a compile step', {}, () =>
  cancelScenario(
    'cancel-compile',
    { units: 6, unitMs: 1000 },
    async (release) => {
      await release.waitChild('compile', 'step 2 running', (s) => s.step === 'interactions' && (s.done ?? 0) >= 1);
      return 'mid compile step';
    },
    {
      // The site's last good data, which a cancelled compile must give back.
      prepare: (site) => writeTree(path.join(site.dataDir, 'compiled'), { 'previous.txt': 'last good data' }),
      after: async (site) => {
        assert.equal(await readFile(path.join(site.dataDir, 'compiled', 'previous.txt'), 'utf8'), 'last good data', 'the previous data came back');
      },
    },
  ),
);

scenario('cancel during figure scripts', {}, () =>
  cancelScenario('cancel-figures', { figureMs: 6000 }, async (release) => {
    await release.waitChild('compile', 'figure scripts running', (s) => s.stage === 'figures');
    await waitFor('a figure script process', async () => release.watch.seen(/pages\/\w+\.py/), 30_000, 50);
    return 'while figure scripts ran';
  }),
);

scenario('cancel while the Transfer server is starting', {}, () =>
  cancelScenario(
    'cancel-provisioning',
    {},
    async (release) => {
      await release.waitChild('sync', 'waiting for ONLINE', (s) => s.stage === 'waiting-online');
      return 'while its new SFTP server was STARTING';
    },
    { faults: [{ service: 'transfer', operation: 'DescribeServer', latencyMs: 2000, count: 2 }] },
  ),
);

scenario('cancel during the upload', { trimmed: true }, () =>
  cancelScenario('cancel-upload', { bulk: { files: 30, bytes: 2_000_000 } }, async (release) => {
    await waitFor('a few files uploaded', async () => release.witness.completed('bulk/').length >= 4, 120_000, 20);
    return 'mid-upload';
  }),
);

scenario('cancel during docker push', {}, () =>
  cancelScenario(
    'cancel-push',
    {},
    async (release) => {
      await release.waitChild('deploy', 'pushing', (s) => s.stage === 'pushing');
      await waitFor('the docker push process', async () => release.watch.seen(/docker\.ts push/), 60_000, 50);
      return 'during a (stuck) docker push';
    },
    { faults: [{ service: 'docker', operation: 'push', hang: true }] },
  ),
);

scenario('cancel while waiting for approval', {}, () =>
  cancelScenario(
    'cancel-approval',
    {},
    async (release) => {
      await release.waitChild('deploy', 'the approval gate', (s) => s.stage === 'awaiting-approval');
      return 'at the approval gate';
    },
    { autoApprove: false },
  ),
);

scenario('cancel during the health wait', {}, () =>
  cancelScenario('cancel-health', {}, async (release) => {
    await release.waitChild('deploy', 'waiting for health', (s) => s.stage === 'waiting-health');
    return 'mid health wait (the update in flight rolled back)';
  }),
);
