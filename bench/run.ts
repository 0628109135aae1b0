/**
 * `npm run bench [-- <id>...] [--quick]`: runs the benchmarks (all, or the named ones), keeps
 * each one's figures under bench/tmp/results/, and writes bench/RESULTS.md: all of it after a
 * whole run; after named ones, only their sections and summary rows, every other section kept
 * as it stands. `--report` rebuilds RESULTS.md from bench/tmp/results/ only. `--splice
 * <section-id>...` puts those already-measured sections (bench/tmp/results/<id>.json) into
 * RESULTS.md without running anything. `--baseline <dir>` adds, beside each written section's
 * targets, the same figures from that dir's <id>.json (an earlier run: "before"). Benchmarks
 * measure and report; a missed target never fails the run.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { benchDir, scratchDir, type Benchmark, type BenchContext } from './lib/context.js';
import { fmt, loadAverage, machineInfo, type Figure, type Section } from './lib/stats.js';
import { ceilingBenchmark } from './ceiling.js';
import { syncBenchmark, syncResumeBenchmark } from './sync-vs-openssh.js';
import { syncWanBenchmark } from './sync-wan.js';
import { resumeCostBenchmark } from './resume-cost.js';
import { healthDetectionBenchmark } from './health-detection.js';
import { engineOverheadBenchmark } from './engine-overhead.js';
import { s3SyncBenchmark } from './s3-sync-vs-awscli.js';

const benchmarks: Benchmark[] = [ceilingBenchmark, syncBenchmark, syncResumeBenchmark, syncWanBenchmark, resumeCostBenchmark, healthDetectionBenchmark, engineOverheadBenchmark, s3SyncBenchmark];
const resultsDir = path.join(scratchDir, 'results');
const order = ['ceiling', 'sync', 'sync-wan', 's3-sync', 'upload-resume', 'big-file-resume', 'compile-resume', 'health', 'engine'];

async function run(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const baselineAt = args.indexOf('--baseline');
  const baseline = baselineAt >= 0 ? args[baselineAt + 1] : undefined;
  // Without --baseline, baselineAt is -1: every non-flag argument is a name.
  const names = args.filter((a, i) => !a.startsWith('--') && (baselineAt < 0 || i !== baselineAt + 1));
  if (args.includes('--splice')) {
    await spliceResults(await Promise.all(names.map((id) => readSection(resultsDir, id))), baseline);
    console.log(`bench/RESULTS.md: sections ${names.join(', ')} written, the others kept`);
    return;
  }
  const unknown = names.filter((n) => !benchmarks.some((b) => b.id === n));
  if (unknown.length) {
    console.error(`unknown benchmark ${unknown.join(', ')}; one of: ${benchmarks.map((b) => `${b.id} (${b.describe})`).join('; ')}`);
    process.exit(2);
  }
  // --report: only rewrite RESULTS.md from the figures already measured.
  const selected = args.includes('--report') ? [] : names.length ? benchmarks.filter((b) => names.includes(b.id)) : benchmarks;
  const runs = quick ? 3 : Number(process.env.BENCH_RUNS ?? 5);
  await mkdir(resultsDir, { recursive: true });
  let failed = 0;
  const measured: Section[] = [];
  for (const bench of selected) {
    const ctx: BenchContext = { quick, runs, log: (line) => console.log(`[${bench.id}] ${line}`) };
    console.log(`[${bench.id}] ${bench.describe} (${quick ? 'quick' : 'full'}, ${runs} runs; load ${loadAverage().join(' ')})`);
    try {
      const sections = await bench.run(ctx);
      for (const s of sections) {
        measured.push(s);
        await writeFile(path.join(resultsDir, `${s.id}.json`), JSON.stringify(s, null, 1));
        for (const f of s.figures) {
          const verdict = f.met === undefined ? '' : f.met ? '  met' : '  MISSED';
          console.log(`[${bench.id}] ${f.name}: median ${fmt(f.value.median)} ${f.unit} (min ${fmt(f.value.min)}, max ${fmt(f.value.max)})${f.target ? `  target ${f.target}` : ''}${verdict}`);
        }
      }
    } catch (err) {
      failed += 1;
      console.error(`[${bench.id}] could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  if (names.length > 0 && !args.includes('--report')) {
    await spliceResults(measured, baseline);
    console.log(`bench/RESULTS.md: sections ${measured.map((s) => s.id).join(', ') || '(none)'} written, the others kept${failed ? ` (${failed} benchmark(s) could not run)` : ''}`);
    return;
  }
  await writeResults();
  console.log(`bench/RESULTS.md written${failed ? ` (${failed} benchmark(s) could not run)` : ''}`);
}

async function readSection(dir: string, id: string): Promise<Section> {
  return JSON.parse(await readFile(path.join(dir, `${id}.json`), 'utf8')) as Section;
}

/** The figures with a target of the same section from an earlier run, named as such. */
async function withBaseline(s: Section, dir: string | undefined): Promise<Section> {
  if (!dir) return s;
  const before = await readSection(dir, s.id).catch(() => undefined);
  if (!before) return s;
  const when = `${before.mode} run of ${before.figures[0]?.value.runs.length ?? 0} started ${before.startedAt}, load ${before.loadBefore.join(' ')} → ${before.loadAfter.join(' ')}`;
  const old: Figure[] = before.figures.filter((f) => f.target).map((f) => ({ ...f, name: `${f.name}, before this change (${when})`, note: undefined }));
  return { ...s, figures: [...s.figures, ...old] };
}

function summaryRows(s: Section): string[] {
  return s.figures.filter((x) => x.target).map((f) => `| ${s.title}: ${f.name} | ${fmt(f.value.median)} ${f.unit} | ${fmt(f.value.min)} | ${fmt(f.value.max)} | ${f.target} | ${f.met ? 'met' : '**missed**'} |`);
}

function sectionLines(s: Section): string[] {
  const lines = ['', `## ${s.title}`, '', `${s.mode} run, ${s.figures[0]?.value.runs.length ?? 0} runs, started ${s.startedAt}, took ${s.durationSeconds} s; load average before ${s.loadBefore.join(' ')}, after ${s.loadAfter.join(' ')}.`, ''];
  lines.push('| figure | median | min | max | target | verdict | runs |', '|---|---|---|---|---|---|---|');
  for (const f of s.figures) {
    const verdict = f.met === undefined ? '' : f.met ? 'met' : '**missed**';
    lines.push(`| ${f.name}${f.note ? ` (${f.note})` : ''} | ${fmt(f.value.median)} ${f.unit} | ${fmt(f.value.min)} | ${fmt(f.value.max)} | ${f.target ?? ''} | ${verdict} | ${f.value.runs.map((r) => fmt(r)).join(', ')} |`);
  }
  lines.push('');
  for (const n of s.notes) lines.push(`- ${n}`);
  return lines;
}

/**
 * Puts `sections` into the RESULTS.md there is: each replaces its own section (from its heading
 * to the next heading or quoted note) and its summary rows; a section not there yet goes before
 * the hand-written "Why". Every other line stays as it is, so one benchmark can be re-run
 * without re-running (or losing) the rest. The "Why" part is taken from WHY.md again.
 */
async function spliceResults(sections: Section[], baseline: string | undefined): Promise<void> {
  const file = path.join(benchDir, 'RESULTS.md');
  const current = await readFile(file, 'utf8').catch(() => '');
  if (!current) {
    await writeResults();
    return;
  }
  const why = (await readFile(path.join(benchDir, 'WHY.md'), 'utf8').catch(() => '')).trim();
  const whyHeading = why.split('\n')[0] ?? '';
  let lines = current.split('\n');
  // The Why part is regenerated from WHY.md below.
  const whyAt = whyHeading ? lines.indexOf(whyHeading) : -1;
  if (whyAt >= 0) lines = lines.slice(0, whyAt);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const raw of sections) {
    const s = await withBaseline(raw, baseline);
    // Summary rows: the new ones where the old ones were (or at the end of the table).
    const prefix = `| ${s.title}: `;
    const firstRow = lines.findIndex((l) => l.startsWith(prefix));
    const kept = lines.filter((l) => !l.startsWith(prefix));
    const summaryAt = kept.indexOf('## Summary');
    let tableEnd = summaryAt;
    while (tableEnd >= 0 && tableEnd + 1 < kept.length && (kept[tableEnd + 1]!.startsWith('|') || tableEnd === summaryAt)) tableEnd++;
    const insertAt = firstRow >= 0 ? firstRow : tableEnd + 1;
    kept.splice(insertAt, 0, ...summaryRows(s));
    lines = kept;
    // The section itself.
    const body = sectionLines(s).slice(1);
    const start = lines.indexOf(`## ${s.title}`);
    if (start < 0) {
      lines.push('', ...body);
      continue;
    }
    let end = start + 1;
    while (end < lines.length && !lines[end]!.startsWith('## ') && !lines[end]!.startsWith('> ')) end++;
    while (end > start + 1 && lines[end - 1] === '') end--;
    lines.splice(start, end - start, ...body);
  }
  lines = lines.map((l) => (l.startsWith('| written | ') ? `| written | ${new Date().toISOString()} (sections ${sections.map((x) => x.id).join(', ')}; the rest earlier, see each section) |` : l));
  if (why) lines.push('', '', why);
  lines.push('');
  await writeFile(file, lines.join('\n'));
}

async function writeResults(): Promise<void> {
  const sections: Section[] = [];
  for (const name of await readdir(resultsDir)) {
    if (name.endsWith('.json')) sections.push(JSON.parse(await readFile(path.join(resultsDir, name), 'utf8')) as Section);
  }
  sections.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const whyFile = path.join(benchDir, 'WHY.md');
  const why = await readFile(whyFile, 'utf8').catch(() => '');
  const modes = [...new Set(sections.map((s) => s.mode))];
  const lines: string[] = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts); do not edit by hand. Benchmarks measure and report: a missed target is reported here, never tuned away, and never fails CI.',
    '',
    `Mode: ${modes.join(' and ')}${modes.includes('quick') ? ' (`--quick`: a smaller tree and 3 runs, a sanity pass only — not the figures to quote)' : ' (the full run: 5 runs each, the 1 GiB tree)'}. Every figure is the median of the runs, with min and max.`,
    '',
    '## Machine',
    '',
    '| | |',
    '|---|---|',
    ...Object.entries(machineInfo(scratchDir)).map(([k, v]) => `| ${k} | ${v.replace(/\|/g, '\\|')} |`),
    `| written | ${new Date().toISOString()} |`,
    '',
    'The machine was shared: other engineers ran test suites (Temporal dev servers, workers, the sim) at the same time, so each section records the load average (1, 5, 15 min) before and after it. Treat the spread (min–max) as part of the figure.',
    '',
    '## Summary',
    '',
    '| figure | median | min | max | target | verdict |',
    '|---|---|---|---|---|---|',
  ];
  for (const s of sections) lines.push(...summaryRows(s));
  for (const s of sections) lines.push(...sectionLines(s));
  if (why) lines.push('', why.trim());
  lines.push('');
  await writeFile(path.join(benchDir, 'RESULTS.md'), lines.join('\n'));
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
