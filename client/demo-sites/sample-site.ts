import { simControl } from '../../sim/index.js';
import { seedDemoAccount, writeDemoConfig } from '../demo-site.js';
import type { DemoSite } from './demo-site.js';

/** The sample site (examples/sample-site): the whole ContactTracing-shaped release, EFS data and a Docker image. */
export const sampleSiteDemo: DemoSite = {
  name: 'sample-site',
  summary: 'the sample site (ContactTracing-shaped, the default): compile, figures, sync to EFS through a Transfer server, image push, approval, deploy',
  seed: seedDemoAccount,
  writeConfig: writeDemoConfig,
  releaseInput: {},
  // What the demo always printed: the Transfer servers the sync made, and that none is left.
  async verify(sim) {
    const ledger = await simControl(sim.controlUrl).ledger();
    if (ledger.alive !== 0) throw new Error(`${ledger.alive} Transfer server(s) still alive after the release`);
    return [];
  },
};
