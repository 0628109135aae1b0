import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { DemoSite } from '../../client/demo-sites/demo-site.js';
import { startSim, type ResponseRecord, type RunningSim } from '../../sim/index.js';

/** A Python-platform example site (cellxgene, TrendFinder) on a sim that records every reply, seeded and configured as its demo does. */
export interface PythonSiteFixture {
  sim: RunningSim;
  /** Every AWS reply the sim sent (service, operation, status). */
  records: ResponseRecord[];
  /** Successful replies of one service's operation so far. */
  count(service: string, operation: string): number;
  demoDir: string;
  configPath: string;
  editConfig(edit: (config: Record<string, Record<string, unknown>>) => void): Promise<void>;
  close(): Promise<void>;
}

export async function startPythonSite(site: DemoSite, opts: { siteDir?: string } = {}): Promise<PythonSiteFixture> {
  const records: ResponseRecord[] = [];
  const sim = await startSim({ transferStartSeconds: 0.3, beanstalkUpdateSeconds: 0.5, versionProcessSeconds: 0.2, observer: (r) => records.push(r) });
  const demoDir = await mkdtemp(path.join(os.tmpdir(), `${site.name}-`));
  await site.seed(sim);
  const configPath = await site.writeConfig(sim, demoDir, { units: 3, unitMs: 50, ...(opts.siteDir ? { siteDir: opts.siteDir } : {}) });
  return {
    sim,
    records,
    count: (service, operation) => records.filter((r) => r.service === service && r.operation === operation && r.status < 300).length,
    demoDir,
    configPath,
    editConfig: async (edit) => {
      const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, Record<string, unknown>>;
      edit(config);
      await writeFile(configPath, JSON.stringify(config, null, 2));
    },
    close: async () => {
      await sim.close();
      await rm(demoDir, { recursive: true, force: true });
    },
  };
}

/** The release input a test starts: the demo's, with the config path. */
export function releaseArgs(site: DemoSite, configPath: string, extra: Record<string, unknown> = {}): [Record<string, unknown>] {
  return [{ ...site.releaseInput, configPath, ...extra }];
}

export type { TestWorkflowEnvironment };
