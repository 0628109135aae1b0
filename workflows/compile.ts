import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  log,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type { Activities as Acts } from '../activities/index.js';
import type { PreparedOutput } from '../activities/compile/output-dir.js';
import type { ManifestFile, ManifestSummary } from '../activities/compile/validate-compiled-data.js';
import type { CompileStepView } from '../config/load.js';
import { compileInputSchema, parseInput, type CompileInput } from './inputs.js';
import { statusQuery, stepProgressSignal, type CompileStatus } from './compile-status.js';
import { watchStepOverrun } from './compile-overrun.js';
import { createNotifier } from './notifier.js';
import { Patches } from './patches.js';
import { asOfNow, endingStatusOnError, startingView } from './status-view.js';

/** Quick file-system work: a few retries, short timeouts. */
const localActivity = {
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
} as const;

/** Validation reads every compiled byte: heartbeats per file, hours allowed. */
const validationActivity = {
  startToCloseTimeout: '12 hours',
  heartbeatTimeout: '5 minutes',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 5 },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;

const { loadSiteConfig, prepareOutputDir, commitOutputDir, restorePreviousOutput, recordFiguresInManifest } =
  proxyActivities<Acts>(localActivity);
const { validateCompiledData } = proxyActivities<Acts>(validationActivity);

/** A long step: days to finish, minutes without a heartbeat before another worker takes over. */
function longRunning(timeoutHours: number, compile: { heartbeatTimeoutSeconds: number; maxAttempts: number; retryInitialSeconds: number }) {
  return proxyActivities<Acts>({
    startToCloseTimeout: `${timeoutHours} hours`,
    heartbeatTimeout: `${compile.heartbeatTimeoutSeconds} seconds`,
    retry: {
      initialInterval: `${compile.retryInitialSeconds} seconds`,
      backoffCoefficient: 2,
      maximumInterval: '10 minutes',
      maximumAttempts: compile.maxAttempts,
    },
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
}

const DEFAULT_STEP_HOURS = 72;
const FIGURE_PARALLELISM = 2;

export interface CompileResult {
  site: string;
  steps: { name: string; durationMs: number; adopted: boolean; resumedFrom: number | null; endedEarlier?: { pid: number; workflowId: string; runId: string } | null }[];
  skippedSteps: string[];
  figures: string[];
  manifest: ManifestSummary;
  durationMs: number;
}

/**
 * The multi-day data compile: configured steps, each its own activity, then Arrow validation of
 * every compiled file, then the figure scripts. Completed steps are never run again.
 */
export async function compileWorkflow(rawInput: CompileInput = {}): Promise<CompileResult> {
  const input = parseInput(compileInputSchema, rawInput, 'compileWorkflow');
  const startedAt = Date.now();
  const status: CompileStatus = {
    ...startingView(startedAt, 'wait: loading the site config'),
    workflow: 'compile',
    site: input.site ?? null,
    stage: 'starting',
    stepIndex: 0,
    stepsTotal: 0,
    completedSteps: [],
    figuresDone: 0,
    figuresTotal: 0,
    error: null,
  };
  setHandler(statusQuery, () => asOfNow(status, startedAt));
  setHandler(stepProgressSignal, (progress) => {
    if (progress.step !== status.step) return;
    status.done = progress.done;
    status.total = progress.total;
    status.lastLine = progress.lastLine;
  });

  return endingStatusOnError(
    status,
    {
      cancelled: 'none: the compile was cancelled and the previous data restored',
      failed: 'fix the cause named in the error, then start a new compile',
    },
    () => runCompile(input, status, startedAt),
  );
}

async function runCompile(input: ReturnType<typeof compileInputSchema.parse>, status: CompileStatus, startedAt: number): Promise<CompileResult> {
  const config = await loadSiteConfig({ configPath: input.configPath, site: input.site });
  status.site = config.site;
  const steps = selectSteps(config.compile.steps, input.steps);
  status.stepsTotal = steps.length;
  const results: CompileResult['steps'] = [];
  // Only a config that names expected step durations has anything to watch.
  const notifier = Object.keys(config.notify?.expectedStepHours ?? {}).length ? createNotifier(config, Patches.compileStepOverrun) : undefined;

  let prepared: PreparedOutput | undefined;
  let manifest: ManifestSummary;
  if (steps.length > 0) {
    const mode = steps.length === config.compile.steps.length ? 'fresh' : 'update';
    prepared = await prepareOutputDir({ stateDir: config.stateDir, outputDir: config.compile.outputDir, mode });
  }
  try {
    for (const [index, step] of steps.entries()) {
      status.stage = 'compiling';
      status.step = step.name;
      status.stepIndex = index + 1;
      status.done = null;
      status.total = null;
      status.lastLine = null;
      status.nextAction = `wait: step ${index + 1} of ${steps.length} ("${step.name}") is running; cancel the workflow to stop it`;
      const { runCompileStep } = longRunning(step.timeoutHours ?? DEFAULT_STEP_HOURS, config.compile);
      const expectedHours = config.notify?.expectedStepHours[step.name];
      const stopWatch = notifier && expectedHours !== undefined ? watchStepOverrun(notifier, { site: config.site, step: step.name, expectedHours }) : undefined;
      const result = await runCompileStep({
        step,
        configPath: config.configPath,
        siteDir: config.siteDir,
        stateDir: config.stateDir,
        outputDir: config.compile.outputDir,
        progressPattern: config.compile.progressPattern,
        killGraceSeconds: config.compile.killGraceSeconds,
        progressSignal: stepProgressSignal.name,
      }).finally(() => stopWatch?.());
      results.push({ name: step.name, durationMs: result.durationMs, adopted: result.adopted, resumedFrom: result.resumedFrom, endedEarlier: result.endedEarlier ?? null });
      if (result.endedEarlier) status.lastLine = `ended pid ${result.endedEarlier.pid} of the earlier run ${result.endedEarlier.workflowId} (${result.endedEarlier.runId}) before starting this step`;
      status.completedSteps.push(step.name);
      status.done = result.done;
      status.total = result.total;
      status.lastLine = result.lastLine;
    }
    status.stage = 'validating';
    status.step = null;
    status.nextAction = 'wait: opening every compiled file with Arrow';
    manifest = await validateCompiledData({ site: config.site, stateDir: config.stateDir, outputDir: config.compile.outputDir });
  } catch (err) {
    // A watch may have spoken: its message goes out before the failure ends the run.
    await notifier?.settle();
    if (prepared) {
      const previous = prepared;
      status.stage = 'restoring';
      // Runs even when the workflow is being cancelled: the site's last good data comes back.
      await CancellationScope.nonCancellable(async () => {
        try {
          const { failedDir } = await restorePreviousOutput({ stateDir: config.stateDir, outputDir: config.compile.outputDir, prepared: previous });
          log.warn('compile failed; previous data restored', { failedDir });
        } catch (restoreErr) {
          log.error('could not restore the previous compiled data', { error: String(restoreErr) });
        }
      });
    }
    throw err;
  }
  if (prepared) await commitOutputDir({ outputDir: config.compile.outputDir, prepared, stateDir: config.stateDir, manifestPath: manifest.path });

  const figureNames: string[] = [];
  if (!input.skipFigures && config.figures.length > 0) {
    status.stage = 'figures';
    status.figuresTotal = config.figures.length;
    status.done = 0;
    status.total = config.figures.length;
    status.lastLine = null;
    status.nextAction = 'wait: figure scripts are running';
    const { runFigureScript } = longRunning(24, config.compile);
    const produced: ManifestFile[] = [];
    const queue = [...config.figures];
    const worker = async (): Promise<void> => {
      for (let figure = queue.shift(); figure; figure = queue.shift()) {
        const entries = await runFigureScript({
          figure,
          configPath: config.configPath,
          siteDir: config.siteDir,
          stateDir: config.stateDir,
          outputDir: config.compile.outputDir,
          killGraceSeconds: config.compile.killGraceSeconds,
        });
        produced.push(...entries);
        figureNames.push(figure.name);
        status.figuresDone += 1;
        status.done = status.figuresDone;
      }
    };
    await Promise.all(Array.from({ length: Math.min(FIGURE_PARALLELISM, queue.length) }, worker));
    manifest = await recordFiguresInManifest({ manifestPath: manifest.path, figures: produced, stateDir: config.stateDir });
  }

  await notifier?.settle();
  status.stage = 'completed';
  status.step = null;
  status.nextAction = 'none: compile finished; sync the data next';
  return {
    site: config.site,
    steps: results,
    skippedSteps: config.compile.steps.filter((s) => !steps.includes(s)).map((s) => s.name),
    figures: figureNames.sort(),
    manifest,
    durationMs: Date.now() - startedAt,
  };
}

function selectSteps(configured: CompileStepView[], requested: string[] | undefined): CompileStepView[] {
  if (requested === undefined) return configured;
  const known = new Set(configured.map((s) => s.name));
  const unknown = requested.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      message: `compileWorkflow input field "steps" names unknown step ${unknown.map((n) => `"${n}"`).join(', ')}: use one of ${[...known].map((n) => `"${n}"`).join(', ')}.`,
      nonRetryable: true,
      details: [{ field: 'steps' }],
    });
  }
  // Keep the configured order whatever order the input lists them in.
  return configured.filter((s) => requested.includes(s.name));
}

