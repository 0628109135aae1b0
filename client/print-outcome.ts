import type { FollowOutcome } from './follow.js';
import { formatDuration } from './progress-view.js';

/** Prints how a run ended; the exit code is 0 only for COMPLETED. */
export function printOutcome(outcome: FollowOutcome, json: boolean): number {
  const ok = outcome.status === 'COMPLETED';
  if (json) {
    console.log(
      JSON.stringify({
        workflowId: outcome.workflowId,
        runId: outcome.runId,
        status: outcome.status,
        result: outcome.result ?? null,
        ...(outcome.error ? { error: outcome.error } : {}),
      }),
    );
    return ok ? 0 : 1;
  }
  if (ok) {
    console.log(`${outcome.workflowId} completed`);
    printSummary(outcome.result);
  } else {
    console.error(`${outcome.workflowId} ended ${outcome.status}${outcome.error ? `: ${outcome.error}` : ''}`);
  }
  return ok ? 0 : 1;
}

function printSummary(result: unknown): void {
  if (!result || typeof result !== 'object') return;
  const r = result as Record<string, unknown>;
  const manifest = r.manifest as { path: string; files: number; rows: number; bytes: number } | undefined;
  const steps = r.steps as { name: string; durationMs: number; adopted: boolean; resumedFrom: number | null }[] | undefined;
  if (steps) {
    for (const s of steps) {
      const notes = [s.adopted ? 'adopted after a worker restart' : '', s.resumedFrom !== null ? `resumed from ${s.resumedFrom}` : ''].filter(Boolean);
      console.log(`  step ${s.name.padEnd(20)} ${formatDuration(s.durationMs).padStart(8)}${notes.length ? `  (${notes.join(', ')})` : ''}`);
    }
  }
  if (Array.isArray(r.figures) && r.figures.length) console.log(`  figures: ${r.figures.join(', ')}`);
  if (manifest) {
    console.log(`  manifest: ${manifest.files} files, ${manifest.rows.toLocaleString('en-US')} rows, ${(manifest.bytes / 1e6).toFixed(1)} MB → ${manifest.path}`);
  }
  if (typeof r.durationMs === 'number') console.log(`  took ${formatDuration(r.durationMs)}`);
}
