import type { DemoSite } from './demo-site.js';
import { cellxgeneDemo } from './cellxgene.js';
import { htanDashboard } from './htan-dashboard.js';
import { sampleSiteDemo } from './sample-site.js';
import { trendfinderDemo } from './trendfinder.js';

/** The example sites the demo can run, by `--site` name. */
export const demoSites: Record<string, DemoSite> = {
  [sampleSiteDemo.name]: sampleSiteDemo,
  [cellxgeneDemo.name]: cellxgeneDemo,
  [trendfinderDemo.name]: trendfinderDemo,
  [htanDashboard.name]: htanDashboard,
  // ContactTracing's runnable sample is the sample site; its real config is examples/contact-tracing.
  'contact-tracing': sampleSiteDemo,
};
