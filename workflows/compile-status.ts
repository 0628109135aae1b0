import { defineQuery, defineSignal } from '@temporalio/workflow';

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
  elapsedMs: number;
  startedAt: string;
  completedSteps: string[];
  figuresDone: number;
  figuresTotal: number;
  error: string | null;
  nextAction: string;
}

export interface StepProgressSignal {
  step: string;
  done: number | null;
  total: number | null;
  lastLine: string | null;
  pid: number;
  startedAt: string;
}

export const statusQuery = defineQuery<CompileStatus>('status');
/** Sent by the running step's activity; the name is passed to it so it never imports this module. */
export const stepProgressSignal = defineSignal<[StepProgressSignal]>('stepProgress');
