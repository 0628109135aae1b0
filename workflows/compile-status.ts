import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { StepProgress } from '../activities/compile/progress-reporter.js';
import type { StatusView } from './status-view.js';

export type CompileStage = 'starting' | 'compiling' | 'validating' | 'figures' | 'restoring' | 'completed' | 'failed' | 'cancelled';

export interface CompileStatus extends StatusView<CompileStage> {
  workflow: 'compile';
  site: string | null;
  stepIndex: number;
  stepsTotal: number;
  completedSteps: string[];
  figuresDone: number;
  figuresTotal: number;
  error: string | null;
}

/** What the running step's activity sends; its shape is owned by the activity that sends it. */
export type StepProgressSignal = StepProgress;

export const statusQuery = defineQuery<CompileStatus>('status');
/** Sent by the running step's activity; the name is passed to it so it never imports this module. */
export const stepProgressSignal = defineSignal<[StepProgressSignal]>('stepProgress');
