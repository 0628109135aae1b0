import type { RunningSim } from '../../sim/index.js';

/** How the demo runs one example site against the sim (`npm run demo -- --site <name>`). */
export interface DemoSite {
  /** The `--site` value; equals the `site` of the config writeConfig writes. */
  name: string;
  /** One line for the usage text: what the site is and which stages its release runs. */
  summary: string;
  /** What the site's AWS account holds before its first release (buckets, repositories, file systems, secrets). */
  seed(sim: RunningSim): Promise<void>;
  /** The example's config pointed at the sim, with demo-sized timings; returns the file's path. */
  writeConfig(sim: RunningSim, demoDir: string, opts: DemoOptions): Promise<string>;
  /** The release input the demo starts (besides configPath), e.g. the stages of a data-only release. */
  releaseInput: Record<string, unknown>;
  /** Checks the world after the release (bucket bytes, environment version, served page); throws naming what differs; returns lines to print. */
  verify(sim: RunningSim, configPath: string): Promise<string[]>;
}

export interface DemoOptions {
  units: number;
  unitMs: number;
  notify?: Record<string, unknown>;
  /** The site's app files elsewhere than examples/ (a test's copy it may change); the example's own by default. */
  siteDir?: string;
}
