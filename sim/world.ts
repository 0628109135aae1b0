import { advanceTransfer } from './services/transfer.js';
import type { SimContext } from './context.js';

type Advance = (ctx: SimContext, at: number) => void;
const advancers: Advance[] = [advanceTransfer];

/** Registers a service's time-driven transitions (Beanstalk deploys, version processing...). */
export function registerAdvance(fn: Advance): void {
  if (!advancers.includes(fn)) advancers.push(fn);
}

/**
 * Brings every time-driven state machine up to now. Transitions are computed from stored
 * timestamps when someone looks, so a sim restarted mid-transition resumes on schedule.
 */
export function advanceWorld(ctx: SimContext, at = Date.now()): void {
  for (const fn of advancers) fn(ctx, at);
}
