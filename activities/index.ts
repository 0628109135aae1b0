import { createAwsClientFactory, type AwsClientFactory } from './aws/clients.js';
import { loadSiteConfig, type LoadSiteConfigInput } from './compile/load-site-config.js';
import { commitOutputDir, prepareOutputDir, restorePreviousOutput } from './compile/output-dir.js';
import { recordFiguresInManifest } from './compile/record-figures.js';
import { runCompileStep, type RunCompileStepInput } from './compile/run-compile-step.js';
import { runFigureScript, type RunFigureInput } from './compile/run-figure-script.js';
import { validateCompiledData } from './compile/validate-compiled-data.js';
import { createSyncActivities } from './sync/index.js';
import { createDeployActivities } from './deploy/index.js';
import { createReleaseActivities } from './release/index.js';
import { createNotifyActivities } from './notify/index.js';
import { hostTaskQueue } from './host/host-task-queue.js';
import { runbookHostId } from '../worker/host.js';

/** What the activities need from the process that hosts them; tests pass their own. */
export interface ActivityDeps {
  /** Builds AWS SDK clients for a region (and the sim's endpoint when configured). */
  aws: AwsClientFactory;
  /** The id this worker polls its host queue under (worker/host.ts). */
  hostId: string;
  /** Base of the Temporal UI links in notifications; default TEMPORAL_UI_URL or the dev server's UI. */
  temporalUiUrl?: string;
}

export function defaultActivityDeps(): ActivityDeps {
  return { aws: createAwsClientFactory(), hostId: runbookHostId() };
}

/** Every activity the worker registers; tests build their own set with other deps. */
export function createActivities(deps: ActivityDeps = defaultActivityDeps()) {
  const { aws, hostId } = deps;
  return {
    loadSiteConfig: (input: LoadSiteConfigInput) => loadSiteConfig(aws, input),
    prepareOutputDir,
    commitOutputDir,
    restorePreviousOutput,
    runCompileStep: (input: RunCompileStepInput) => runCompileStep(aws, input),
    validateCompiledData,
    runFigureScript: (input: RunFigureInput) => runFigureScript(aws, input),
    recordFiguresInManifest,
    ...createSyncActivities(deps),
    ...createDeployActivities(deps),
    ...createReleaseActivities(),
    ...createNotifyActivities(deps),
    hostTaskQueue: () => hostTaskQueue(hostId),
  };
}

export type Activities = ReturnType<typeof createActivities>;
