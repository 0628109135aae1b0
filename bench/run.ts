/**
 * `npm run bench [-- <id>...] [--quick]`: runs the benchmarks (all, or the named ones), keeps
 * each one's figures under bench/tmp/results/, and rewrites bench/RESULTS.md from them.
 * `--report` rewrites RESULTS.md only. Sections with no figures under bench/tmp/results/ keep their
 * text from the existing RESULTS.md, so `npm run bench -- s3-sync` rewrites only that section.
 * Benchmarks measure and report; a missed target never fails the run.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { benchDir, scratchDir, type Benchmark, type BenchContext } from './lib/context.js';
import { fmt, loadAverage, machineInfo, type Section } from './lib/stats.js';
import { ceilingBenchmark } from './ceiling.js';
import { syncBenchmark, syncResumeBenchmark } from './sync-vs-openssh.js';
import { syncWanBenchmark } from './sync-wan.js';
import { resumeCostBenchmark } from './resume-cost.js';
import { healthDetectionBenchmark } from './health-detection.js';
import { engineOverheadBenchmark } from './engine-overhead.js';
import { s3SyncBenchmark } from './s3-sync-vs-awscli.js';
import { keptSections } from './lib/kept-sections.js';

const benchmarks: Benchmark[] = [ceilingBenchmark, syncBenchmark, syncResumeBenchmark, syncWanBenchmark, resumeCostBenchmark, healthDetectionBenchmark, engineOverheadBenchmark, s3SyncBenchmark];
const resultsDir = path.join(scratchDir, 'results');
const order = ['ceiling', 'sync', 'sync-wan', 's3-sync', 'upload-resume', 'big-file-resume', 'compile-resume', 'health', 'engine'];

async function run(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
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
  for (const bench of selected) {
    const ctx: BenchContext = { quick, runs, log: (line) => console.log(`[${bench.id}] ${line}`) };
    console.log(`[${bench.id}] ${bench.describe} (${quick ? 'quick' : 'full'}, ${runs} runs; load ${loadAverage().join(' ')})`);
    try {
      const sections = await bench.run(ctx);
      for (const s of sections) {
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
  await writeResults();
  console.log(`bench/RESULTS.md written${failed ? ` (${failed} benchmark(s) could not run)` : ''}`);
}

async function writeResults(): Promise<void> {
  const sections: Section[] = [];
  for (const name of await readdir(resultsDir)) {
    if (name.endsWith('.json')) sections.push(JSON.parse(await readFile(path.join(resultsDir, name), 'utf8')) as Section);
  }
  sections.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const whyFile = path.join(benchDir, 'WHY.md');
  const why = await readFile(whyFile, 'utf8').catch(() => '');
  const whyHeadings = [...why.matchAll(/^## (.+)$/gm)].map((m) => (m[1] ?? '').trim());
  const oldResults = await readFile(path.join(benchDir, 'RESULTS.md'), 'utf8').catch(() => '');
  const kept = keptSections(oldResults, sections.map((s) => s.title), ['Machine', 'Summary', ...whyHeadings]);
  const modes = [...new Set(sections.map((s) => s.mode))];
  const lines: string[] = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (bench/run.ts); do not edit by hand. Benchmarks measure and report: a missed target is reported here, never tuned away, and never fails CI.',
    '',
    // Kept sections keep the line that described their run; each section's first line names its own mode.
    (kept.blocks.size > 0 ? /^Mode: .*$/m.exec(oldResults)?.[0] : undefined) ??
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
  for (const s of sections) {
    for (const f of s.figures.filter((x) => x.target)) {
      lines.push(`| ${s.title}: ${f.name} | ${fmt(f.value.median)} ${f.unit} | ${fmt(f.value.min)} | ${fmt(f.value.max)} | ${f.target} | ${f.met ? 'met' : '**missed**'} |`);
    }
  }
  lines.push(...kept.summaryRows);
  for (const block of kept.blocks.values()) lines.push('', block);
  for (const s of sections) {
    lines.push('', `## ${s.title}`, '', `${s.mode} run, ${s.figures[0]?.value.runs.length ?? 0} runs, started ${s.startedAt}, took ${s.durationSeconds} s; load average before ${s.loadBefore.join(' ')}, after ${s.loadAfter.join(' ')}.`, '');
    lines.push('| figure | median | min | max | target | verdict | runs |', '|---|---|---|---|---|---|---|');
    for (const f of s.figures) {
      const verdict = f.met === undefined ? '' : f.met ? 'met' : '**missed**';
      lines.push(`| ${f.name}${f.note ? ` (${f.note})` : ''} | ${fmt(f.value.median)} ${f.unit} | ${fmt(f.value.min)} | ${fmt(f.value.max)} | ${f.target ?? ''} | ${verdict} | ${f.value.runs.map((r) => fmt(r)).join(', ')} |`);
    }
    lines.push('');
    for (const n of s.notes) lines.push(`- ${n}`);
  }
  if (why) lines.push('', why.trim());
  lines.push('');
  await writeFile(path.join(benchDir, 'RESULTS.md'), lines.join('\n'));
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
