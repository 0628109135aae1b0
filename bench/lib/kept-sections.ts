/**
 * The sections of an earlier RESULTS.md that this run has no figures for (their JSON under
 * bench/tmp/results/ is gone, or was measured on another checkout): kept as they were, with their
 * summary rows, so running one benchmark rewrites only its own section.
 */
export interface KeptSections {
  /** `## title` → the section's text, heading included, in the old file's order. */
  blocks: Map<string, string>;
  /** Summary table rows of the kept sections (`| <title>: <figure> | …`). */
  summaryRows: string[];
}

/** Headings the writer makes itself every time; everything else under `## ` is a benchmark's section. */
export function keptSections(old: string, measuredTitles: string[], ownHeadings: string[]): KeptSections {
  const blocks = new Map<string, string>();
  const parts = old.split(/^(?=## )/m).slice(1);
  for (const part of parts) {
    const title = (part.split('\n', 1)[0] ?? '').slice(3).trim();
    if (ownHeadings.includes(title) || measuredTitles.includes(title)) continue;
    blocks.set(title, part.trimEnd());
  }
  const summary = parts.find((p) => p.startsWith('## Summary')) ?? '';
  const summaryRows = summary.split('\n').filter((line) => [...blocks.keys()].some((t) => line.startsWith(`| ${t}: `)));
  return { blocks, summaryRows };
}
