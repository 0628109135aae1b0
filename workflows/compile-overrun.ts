import { CancellationScope, sleep, workflowInfo } from '@temporalio/workflow';
import type { Notifier } from './notifier.js';

/**
 * Reports a compile step still running past its expected hours, once, while it keeps running:
 * a day-two surprise is worth knowing about before day three. Returns the way to stop watching.
 */
export function watchStepOverrun(notifier: Notifier, step: { site: string; step: string; expectedHours: number }): () => void {
  const { workflowId, parent } = workflowInfo();
  const startedAt = Date.now();
  const scope = new CancellationScope();
  void scope.run(() => sleep(step.expectedHours * 3_600_000)).then(
    () =>
      notifier.emit(`compile-step-overrun:${step.step}`, {
        kind: 'compile-step-overrun',
        site: step.site,
        workflowId: parent?.workflowId ?? workflowId,
        childWorkflowId: workflowId,
        step: step.step,
        expectedHours: step.expectedHours,
        runningHours: (Date.now() - startedAt) / 3_600_000,
      }),
    // The step ended first: nothing to report.
    () => undefined,
  );
  return () => scope.cancel();
}
