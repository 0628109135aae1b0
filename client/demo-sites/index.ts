import type { DemoSite } from './demo-site.js';

/** The example sites the demo can run, by `--site` name. */
export const demoSites: Record<string, DemoSite> = {};
