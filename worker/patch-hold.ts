import type { PatchActivationCallback } from '@temporalio/worker';
import { patchIds, type PatchId } from '../workflows/patches.js';

/**
 * RUNBOOK_HOLD_PATCHES: the workflow changes this worker leaves inactive in runs that have not
 * taken them yet (`all`, or patch ids from workflows/patches.ts, comma-separated). During a
 * rolling upgrade the new build runs with the ids it adds held, so it does exactly what the old
 * build does and either build can carry any run; once no old worker is left, restart without the
 * hold. `all` is the blunt option: it also holds what the old build already did (host affinity
 * among it) in runs started meanwhile.
 * A run that already took a change keeps it, whichever worker replays it.
 */
export function heldPatches(env: NodeJS.ProcessEnv = process.env): PatchId[] {
  const value = env.RUNBOOK_HOLD_PATCHES?.trim() ?? '';
  if (value === '') return [];
  if (value === 'all') return [...patchIds];
  const ids = value.split(',').map((id) => id.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !(patchIds as readonly string[]).includes(id));
  if (unknown.length > 0) {
    throw new Error(`RUNBOOK_HOLD_PATCHES names ${unknown.join(', ')}, which this build does not have: use "all" or some of ${patchIds.join(', ')}.`);
  }
  return ids as PatchId[];
}

/** The worker option that keeps held patches inactive; undefined when nothing is held. */
export function patchHoldCallback(held: readonly PatchId[]): PatchActivationCallback | undefined {
  if (held.length === 0) return undefined;
  const set = new Set<string>(held);
  return ({ patchId }) => !set.has(patchId);
}
