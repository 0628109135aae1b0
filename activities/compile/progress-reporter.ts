import type { ProcessHeartbeat } from '../process/tracked-process.js';
import { activityProgress } from '../progress/report-progress.js';

/** The `stepProgress`/`deployProgress` payload of a subprocess step (compile, docker build, push). */
export interface StepProgress {
  step: string;
  done: number | null;
  total: number | null;
  lastLine: string | null;
  pid: number;
  startedAt: string;
}

/**
 * Runs `fn` with a progress callback that feeds the shared progress channel (bounded freshness,
 * coalesced, never blocking), and stops the channel when `fn` settles.
 */
export async function withStepProgress<R>(
  signalName: string | undefined,
  step: string,
  fn: (onProgress: (beat: ProcessHeartbeat) => void) => Promise<R>,
): Promise<R> {
  const channel = activityProgress<StepProgress>(signalName, {
    key: (p) => `${p.done}/${p.total}/${p.lastLine}`,
  });
  try {
    return await fn((beat) =>
      channel.report({ step, done: beat.done, total: beat.total, lastLine: beat.lastLine, pid: beat.pid, startedAt: beat.startedAt }),
    );
  } finally {
    channel.stop();
  }
}
