// The sample site's data compile, in the shape of a real one (`python viz/data.py`): it writes
// one feather file per unit of work under data/compiled/, prints progress lines, and skips the
// units a previous attempt finished when the runbook passes RUNBOOK_RESUME_FROM.
//   SAMPLE_UNITS (default 12), SAMPLE_UNIT_MS (default 1500), SAMPLE_ROWS (default 2000)
//   SAMPLE_AUDIT_LOG: append "start|done <part> <unit> <pid>" lines (tests count work with it)
//   SAMPLE_FAIL_AT=<unit>[:<exit code>]: exit with that code when reaching the unit
import { appendFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';

const partFlag = process.argv.indexOf('--part');
const part = (partFlag >= 0 ? process.argv[partFlag + 1] : undefined) ?? 'expression';
const units = Number(process.env.SAMPLE_UNITS ?? 12);
const unitMs = Number(process.env.SAMPLE_UNIT_MS ?? 1500);
const rows = Number(process.env.SAMPLE_ROWS ?? 2000);
const outputDir = path.resolve(process.env.SAMPLE_OUTPUT_DIR ?? 'data/compiled');
const resuming = process.env.RUNBOOK_RESUME_FROM !== undefined;
const resumeFrom = Number(process.env.RUNBOOK_RESUME_FROM ?? 0);
const [failUnit, failCode] = (process.env.SAMPLE_FAIL_AT ?? '').split(':').map(Number);

function audit(event: string, unit: number): void {
  if (process.env.SAMPLE_AUDIT_LOG) appendFileSync(process.env.SAMPLE_AUDIT_LOG, `${event} ${part} ${unit} ${process.pid}\n`);
}

function unitFile(unit: number): string {
  return path.join(outputDir, part, `${part}_${String(unit).padStart(4, '0')}.feather`);
}

function compileUnit(unit: number): void {
  // A deterministic pseudo-random table, so reruns produce byte-identical files.
  let seed = unit * 7919 + part.length;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const table = tableFromArrays({
    cell: Int32Array.from({ length: rows }, (_, i) => i),
    gene: Array.from({ length: rows }, (_, i) => `G${(i * 31 + unit) % 997}`),
    score: Float64Array.from({ length: rows }, () => next()),
  });
  const file = unitFile(unit);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, tableToIPC(table, 'file'));
  renameSync(`${file}.tmp`, file); // a half-written unit never shows under its real name
}

async function main(): Promise<void> {
  console.log(`compiling ${part}: ${units} units into ${outputDir}${resuming ? `, resuming (last reported progress ${resumeFrom})` : ''}`);
  for (let unit = 1; unit <= units; unit++) {
    // A resumed run trusts files that exist: each was renamed into place only when complete.
    if (resuming && existsSync(unitFile(unit))) {
      console.log(`progress ${unit}/${units} ${part} unit ${unit} already compiled, skipped`);
      continue;
    }
    if (unit === failUnit) {
      console.error(`error: unit ${unit} of ${part} failed`);
      process.exit(failCode || 1);
    }
    audit('start', unit);
    await new Promise((resolve) => setTimeout(resolve, unitMs));
    compileUnit(unit);
    audit('done', unit);
    console.log(`progress ${unit}/${units} ${part} unit ${unit} compiled`);
  }
  console.log(`${part} done`);
}

await main();
