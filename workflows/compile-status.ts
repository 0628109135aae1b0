import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StepProgress } from '../activities/compile/progress-reporter.js';

export type CompileStage = 'starting' | 'compiling' | 'validating' | 'figures' | 'restoring' | 'completed' | 'failed' | 'cancelled';

export interface CompileStatus {
  workflow: 'compile';
  site: string | null;
  stage: CompileStage;
  step: string | null;
  stepIndex: number;
  stepsTotal: number;
  done: number | null;
  total: number | null;
  lastLine: string | null;
  /** Workflow time stands still between events: elapsedMs is as of asOf, startedAt is the truth. */
  elapsedMs: number;
  asOf: string;
  startedAt: string;
  completedSteps: string[];
  figuresDone: number;
  figuresTotal: number;
  error: string | null;
  nextAction: string;
}

/** What the running step's activity sends; its shape is owned by the activity that sends it. */
export type StepProgressSignal = StepProgress;

export const statusQuery = defineQuery<CompileStatus>('status');
/** Sent by the running step's activity; the name is passed to it so it never imports this module. */
export const stepProgressSignal = defineSignal<[StepProgressSignal]>('stepProgress');
