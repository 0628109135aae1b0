import { advanceTransfer } from './services/transfer.js';
import { advanceBeanstalk } from './services/beanstalk/state-machine.js';
import type { SimContext } from './context.js';

/**
 * Brings every time-driven state machine up to now. Transitions are computed from stored
 * timestamps when someone looks, so a sim restarted mid-transition resumes on schedule.
 */
export function advanceWorld(ctx: Pick<SimContext, 'store' | 'hooks'>, at = Date.now()): void {
  advanceTransfer(ctx, at);
  advanceBeanstalk(ctx, at);
}
