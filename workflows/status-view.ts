/**
 * The fields every workflow's `status` query shares, so the CLI's progress line and the UI's
 * Queries tab read them the same way whatever the workflow; each status adds its own.
 */
export interface StatusView<Stage extends string> {
  stage: Stage;
  /** The step running now (activity or script name), null between steps. */
  step: string | null;
  /** Units done and in total within the step, when it reports them. */
  done: number | null;
  total: number | null;
  lastLine: string | null;
  /** What a person should do now, or "wait: …" / "none: …". */
  nextAction: string;
  /** Workflow time stands still between events: elapsedMs is as of asOf, startedAt is the truth. */
  elapsedMs: number;
  asOf: string;
  startedAt: string;
}
