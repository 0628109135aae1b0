import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, DeleteObjectsCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import { startSim, type ResponseRecord, type RunningSim } from '../sim/index.js';
import { benchAwsCli } from './lib/awscli.js';
import { inTurn, repoRoot, scratchDir, type BenchContext, type Benchmark } from './lib/context.js';
import type { S3SyncChildInput, S3SyncChildResult } from './lib/s3-sync-child.js';
import { fmt, loadAverage, sectionRun, spread, type Figure, type Section } from './lib/stats.js';
import { changeFiles, FULL_TREE, generateTree, QUICK_TREE, type TreeFile } from './lib/tree.js';

const MiB = 2 ** 20;
const BUCKET = 'bench-data';
const CREDENTIALS = { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' };
/** The product's defaults (config/schema.ts): data.parallelism, multipartThresholdMb, partSizeMb. */
const OURS = { parallelism: 4, multipartThresholdBytes: 16 * MiB, partSizeBytes: 8 * MiB };
const childScript = fileURLToPath(new URL('./lib/s3-sync-child.ts', import.meta.url));

interface Fixture {
  sim: RunningSim;
  s3: S3Client;
  records: ResponseRecord[];
  aws: string;
  awsConfig: string;
  work: string;
  treeDir: string;
  files: TreeFile[];
  totalBytes: number;
}

/** Wall time and the CPU (user + system) of a process, from GNU time. */
interface Timed {
  seconds: number;
  cpu: number;
  stdout: string;
}

async function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, work: string): Promise<Timed> {
  const timeFile = path.join(work, `time-${Date.now()}`);
  const started = process.hrtime.bigint();
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-q', '-f', '%U %S', '-o', timeFile, cmd, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} exited ${code}: ${err.slice(-2000)}`))));
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const [user = NaN, sys = NaN] = (await readFile(timeFile, 'utf8')).trim().split(/\s+/).map(Number);
  await rm(timeFile, { force: true });
  return { seconds, cpu: user + sys, stdout };
}

/** What one sync run cost the sim: write requests (PUT, parts, multipart create/complete) and CPU of the sim's process. */
interface Measured {
  seconds: number;
  cpu: number;
  writes: number;
  simCpu: number;
  /** Ours only: the activity's own time and CPU, without the process start (a worker is long-lived). */
  inner?: { seconds: number; cpu: number; uploadedBytes: number };
}

const WRITES = new Set(['PutObject', 'UploadPart', 'CreateMultipartUpload', 'CompleteMultipartUpload']);

async function measure(fx: Fixture, run: () => Promise<Timed>): Promise<Measured & { stdout: string }> {
  const from = fx.records.length;
  const simBefore = process.cpuUsage();
  const t = await run();
  const sim = process.cpuUsage(simBefore);
  const writes = fx.records.slice(from).filter((r) => r.service === 's3' && WRITES.has(r.operation) && r.status < 300).length;
  return { seconds: t.seconds, cpu: t.cpu, writes, simCpu: (sim.user + sim.system) / 1e6, stdout: t.stdout };
}

async function syncOurs(fx: Fixture, prefix: string, workflowId: string): Promise<Measured> {
  const input: S3SyncChildInput = {
    workflowId,
    sync: { aws: { region: 'us-east-1', endpoint: fx.sim.endpoint }, bucket: BUCKET, prefix, localDir: fx.treeDir, stateDir: path.join(fx.work, 'state'), website: false, deleteExtraneous: true, ...OURS },
  };
  const env = { ...process.env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey };
  const m = await measure(fx, () => timed(process.execPath, ['--import', 'tsx', childScript, JSON.stringify(input)], env, fx.work));
  const line = m.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error('the S3 sync child printed no result');
  const r = JSON.parse(line.slice('RESULT '.length)) as S3SyncChildResult;
  return { ...m, inner: { seconds: r.syncSeconds, cpu: r.cpuSeconds, uploadedBytes: r.report.uploaded.bytes } };
}

function syncAwsCli(fx: Fixture, prefix: string): Promise<Measured> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: fx.awsConfig,
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
    PYTHONWARNINGS: 'ignore',
  };
  // As the manual runbook would: mirror the tree, deleting what it no longer has; its defaults otherwise.
  return measure(fx, () => timed(fx.aws, ['s3', 'sync', fx.treeDir, `s3://${BUCKET}/${prefix}/`, '--delete', '--no-progress', '--only-show-errors', '--endpoint-url', fx.sim.endpoint], env, fx.work));
}

/** Object count and bytes under a prefix: each run must leave the whole tree there. */
async function prefixTotals(s3: S3Client, prefix: string): Promise<{ files: number; bytes: number; keys: string[] }> {
  const out = { files: 0, bytes: 0, keys: [] as string[] };
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: BUCKET, Prefix: `${prefix}/` })) {
    for (const o of page.Contents ?? []) {
      out.files += 1;
      out.bytes += o.Size ?? 0;
      out.keys.push(o.Key ?? '');
    }
  }
  return out;
}

async function checkLanded(fx: Fixture, prefix: string, tool: string): Promise<void> {
  const t = await prefixTotals(fx.s3, prefix);
  if (t.files !== fx.files.length || t.bytes !== fx.totalBytes) throw new Error(`${tool} left ${t.files} objects, ${t.bytes} bytes under ${prefix}/; expected ${fx.files.length}, ${fx.totalBytes}`);
}

async function emptyPrefix(fx: Fixture, prefix: string): Promise<void> {
  const { keys } = await prefixTotals(fx.s3, prefix);
  for (let i = 0; i < keys.length; i += 1000) {
    await fx.s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
  }
}

async function setUp(ctx: BenchContext): Promise<Fixture> {
  const spec = ctx.quick ? QUICK_TREE : FULL_TREE;
  const work = path.join(scratchDir, 's3-sync');
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  // The tree, and two copies of it in the sim's store at most (one per tool), plus headroom.
  const free = Number(execFileSync('df', ['--output=avail', '-B1', scratchDir], { encoding: 'utf8' }).split('\n')[1]);
  if (free < spec.totalBytes * 4) throw new Error(`need ${fmt((spec.totalBytes * 4) / 2 ** 30)} GiB free under ${scratchDir}, have ${fmt(free / 2 ** 30)} GiB`);
  const aws = await benchAwsCli(ctx.log);
  const awsConfig = path.join(work, 'aws-config');
  await writeFile(awsConfig, '[default]\ns3 =\n  addressing_style = path\n');
  const records: ResponseRecord[] = [];
  const sim = await startSim({ stateDir: path.join(work, 'sim'), observer: (r) => records.push({ ...r, body: '', headers: {} }) });
  const s3 = new S3Client({ endpoint: sim.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const treeDir = path.join(work, 'tree');
  ctx.log(`generating ${spec.files} files, ${fmt(spec.totalBytes / MiB, 0)} MiB (seed ${spec.seed})`);
  const files = await generateTree(treeDir, spec);
  return { sim, s3, records, aws, awsConfig, work, treeDir, files, totalBytes: spec.totalBytes };
}

async function s3SyncVsAwsCli(fx: Fixture, ctx: BenchContext): Promise<Section> {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const series = {
    oursFull: [] as number[], oursFullInner: [] as number[], awsFull: [] as number[],
    oursIncr: [] as number[], oursIncrInner: [] as number[], awsIncr: [] as number[],
    cpuOursFull: [] as number[], cpuAwsFull: [] as number[], cpuOursIncr: [] as number[], cpuAwsIncr: [] as number[],
    simCpuOursFull: [] as number[], simCpuAwsFull: [] as number[],
    writesOursIncr: [] as number[], writesAwsIncr: [] as number[], changed: [] as number[],
  };
  for (let i = 0; i < ctx.runs; i++) {
    const ours = async (): Promise<void> => {
      const full = await syncOurs(fx, `ours-${i}`, `bench-s3-full-${i}`);
      await checkLanded(fx, `ours-${i}`, 'ours');
      const changed = await changeFiles(fx.treeDir, fx.files, 0.01, 2 * i);
      const incr = await syncOurs(fx, `ours-${i}`, `bench-s3-incr-${i}`);
      if (incr.inner?.uploadedBytes !== changed.reduce((a, f) => a + f.size, 0)) throw new Error(`ours re-sent ${incr.inner?.uploadedBytes} bytes, the changed files are ${changed.reduce((a, f) => a + f.size, 0)}`);
      series.oursFull.push(full.seconds);
      series.oursFullInner.push(full.inner?.seconds ?? NaN);
      series.cpuOursFull.push(full.cpu);
      series.simCpuOursFull.push(full.simCpu);
      series.oursIncr.push(incr.seconds);
      series.oursIncrInner.push(incr.inner?.seconds ?? NaN);
      series.cpuOursIncr.push(incr.cpu);
      series.writesOursIncr.push(incr.writes);
      series.changed.push(changed.length);
      ctx.log(`run ${i + 1}: ours full ${fmt(full.seconds)} s (activity ${fmt(full.inner?.seconds ?? NaN)} s, cpu ${fmt(full.cpu)} s), 1% ${fmt(incr.seconds)} s with ${incr.writes} writes for ${changed.length} files`);
      await emptyPrefix(fx, `ours-${i}`);
    };
    const cli = async (): Promise<void> => {
      const full = await syncAwsCli(fx, `aws-${i}`);
      await checkLanded(fx, `aws-${i}`, 'aws s3 sync');
      const changed = await changeFiles(fx.treeDir, fx.files, 0.01, 2 * i + 1);
      const incr = await syncAwsCli(fx, `aws-${i}`);
      series.awsFull.push(full.seconds);
      series.cpuAwsFull.push(full.cpu);
      series.simCpuAwsFull.push(full.simCpu);
      series.awsIncr.push(incr.seconds);
      series.cpuAwsIncr.push(incr.cpu);
      series.writesAwsIncr.push(incr.writes);
      ctx.log(`run ${i + 1}: aws s3 sync full ${fmt(full.seconds)} s (cpu ${fmt(full.cpu)} s), 1% ${fmt(incr.seconds)} s with ${incr.writes} writes for ${changed.length} files`);
      await emptyPrefix(fx, `aws-${i}`);
    };
    await inTurn(i, ours, cli);
  }
  const ratio = (a: number[], b: number[]): number[] => a.map((x, i) => x / (b[i] ?? NaN));
  const MB = fx.totalBytes / 1e6;
  const figures: Figure[] = [
    { name: 'full upload, ours (process start to exit)', unit: 's', value: spread(series.oursFull) },
    { name: 'full upload, ours (the activity alone, as in a running worker)', unit: 's', value: spread(series.oursFullInner) },
    { name: 'full upload, aws s3 sync', unit: 's', value: spread(series.awsFull) },
    { name: 'full upload throughput, ours', unit: 'MB/s', value: spread(series.oursFull.map((s) => MB / s)) },
    { name: 'full upload throughput, aws s3 sync', unit: 'MB/s', value: spread(series.awsFull.map((s) => MB / s)) },
    { name: 'full upload time, ours ÷ aws s3 sync', unit: '×', value: spread(ratio(series.oursFull, series.awsFull)) },
    { name: 'full upload time, ours (activity alone) ÷ aws s3 sync', unit: '×', value: spread(ratio(series.oursFullInner, series.awsFull)) },
    { name: '1% changed, ours (process start to exit)', unit: 's', value: spread(series.oursIncr) },
    { name: '1% changed, ours (the activity alone)', unit: 's', value: spread(series.oursIncrInner) },
    { name: '1% changed, aws s3 sync', unit: 's', value: spread(series.awsIncr) },
    { name: '1% changed time, ours ÷ aws s3 sync', unit: '×', value: spread(ratio(series.oursIncr, series.awsIncr)) },
    { name: '1% changed: files changed', unit: 'files', value: spread(series.changed) },
    { name: '1% changed: write requests the sim received, ours', unit: 'requests', value: spread(series.writesOursIncr), note: 'PutObject, UploadPart, Create/CompleteMultipartUpload' },
    { name: '1% changed: write requests the sim received, aws s3 sync', unit: 'requests', value: spread(series.writesAwsIncr) },
    { name: 'CPU, full upload, ours (user + system)', unit: 's', value: spread(series.cpuOursFull), note: 'whole process, node and tsx start included; SHA-256 of every byte' },
    { name: 'CPU, full upload, aws s3 sync', unit: 's', value: spread(series.cpuAwsFull), note: 'whole process; MD5 of every byte' },
    { name: 'CPU, 1% changed, ours', unit: 's', value: spread(series.cpuOursIncr), note: 'reads and hashes the whole tree to compare checksums' },
    { name: 'CPU, 1% changed, aws s3 sync', unit: 's', value: spread(series.cpuAwsIncr), note: 'compares size and mtime only' },
    { name: 'CPU of the sim serving a full upload, ours', unit: 's', value: spread(series.simCpuOursFull) },
    { name: 'CPU of the sim serving a full upload, aws s3 sync', unit: 's', value: spread(series.simCpuAwsFull) },
  ];
  const notes = [
    `Tree: ${fx.files.length} files, ${fmt(fx.totalBytes / MiB, 0)} MiB (bench/lib/tree.ts, the same tree as the EFS section), to the sim's S3 on loopback (one Node process serving HTTP, objects on the scratch disk): the figures measure the clients and the sim, not S3.`,
    `Ours: the product's syncS3Prefix activity in its own process (bench/lib/s3-sync-child.ts) with the worker's AWS clients and the config defaults: ${OURS.parallelism} files at a time, multipart from ${OURS.multipartThresholdBytes / MiB} MiB in ${OURS.partSizeBytes / MiB} MiB parts, every object sent with its SHA-256, deleteExtraneous on. It compares by size and S3's ChecksumSHA256 (one HeadObject per file of equal size), so it re-sends exactly the changed files whatever their mtimes.`,
    'aws s3 sync: awscli 1.46.3 from PyPI in the benchmark\'s own venv (bench/lib/awscli.ts), `--delete`, its defaults otherwise (10 concurrent requests, multipart from 8 MB in 8 MB parts). It compares size and mtime only, so an edited file with an older mtime, or the same size and mtime, would be missed; a file only touched is re-sent.',
    'Each run: a full upload to an empty prefix, then 1% of the files rewritten in place (same size, new content, newer mtime) and the sync again; the prefix is emptied after. The tools alternate who goes first. Every full upload is checked to have landed whole (object count and bytes); ours must re-send exactly the changed bytes.',
    'CPU is user + system of the tool\'s process (GNU time); the sim\'s CPU is the benchmark process\'s own (it hosts the sim), so it includes a little orchestration.',
    'The sim serialises its whole state (every object of both prefixes) after each request, so a request costs more the more objects the bucket holds. Ours pays it once per file in the 1%-changed run (a HeadObject for each file whose size matches, to read its SHA-256) where aws s3 sync only lists; the quick run (200 files) shows the 1% time growing faster than the file count. On S3 a HEAD costs a round trip, not a state write.',
  ];
  return { id: 's3-sync', title: "S3 data sync vs aws s3 sync (the sync section's tree to the sim's S3, loopback)", ...sectionRun(ctx, startedAt, loadBefore), figures, notes };
}

export const s3SyncBenchmark: Benchmark = {
  id: 's3-sync',
  describe: "the S3 data sync vs aws s3 sync: 1 GiB / 2,000 files to the sim's S3, full and 1% changed",
  run: async (ctx) => {
    const fx = await setUp(ctx);
    try {
      return [await s3SyncVsAwsCli(fx, ctx)];
    } finally {
      fx.s3.destroy();
      await fx.sim.close();
      await rm(fx.work, { recursive: true, force: true });
    }
  },
};
