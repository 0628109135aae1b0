import type { AwsClientFactory } from '../aws/clients.js';
import { bind } from '../bind.js';
import { loadSiteConfig } from './load-site-config.js';
import { commitOutputDir, prepareOutputDir, restorePreviousOutput } from './output-dir.js';
import { recordFiguresInManifest } from './record-figures.js';
import { runCompileStep } from './run-compile-step.js';
import { runFigureScript } from './run-figure-script.js';
import { validateCompiledData } from './validate-compiled-data.js';

/** The compile's and the figures' activities; the AWS clients resolve secret references for the steps' environments. */
export function createCompileActivities(deps: { aws: AwsClientFactory }) {
  const { aws } = deps;
  return {
    loadSiteConfig: bind(aws, loadSiteConfig),
    prepareOutputDir,
    commitOutputDir,
    restorePreviousOutput,
    runCompileStep: bind(aws, runCompileStep),
    validateCompiledData,
    runFigureScript: bind(aws, runFigureScript),
    recordFiguresInManifest,
  };
}
