import { loadSiteConfig } from './compile/load-site-config.js';
import { commitOutputDir, prepareOutputDir, restorePreviousOutput } from './compile/output-dir.js';
import { recordFiguresInManifest } from './compile/record-figures.js';
import { runCompileStep } from './compile/run-compile-step.js';
import { runFigureScript } from './compile/run-figure-script.js';
import { validateCompiledData } from './compile/validate-compiled-data.js';

/** Dependencies the activities need from the process that hosts them (AWS clients join here). */
export type ActivityDeps = Record<string, never>;

/** Every activity the worker registers; tests build their own set with other deps. */
export function createActivities(_deps: ActivityDeps = {}) {
  return {
    loadSiteConfig,
    prepareOutputDir,
    commitOutputDir,
    restorePreviousOutput,
    runCompileStep,
    validateCompiledData,
    runFigureScript,
    recordFiguresInManifest,
  };
}

export type Activities = ReturnType<typeof createActivities>;
