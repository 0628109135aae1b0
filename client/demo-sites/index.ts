import type { DemoSite } from './demo-site.js';
import { htanDashboard } from './htan-dashboard.js';

/** The example sites the demo can run, by `--site` name. */
export const demoSites: Record<string, DemoSite> = {
  'htan-dashboard': htanDashboard,
};
