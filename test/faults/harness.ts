import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startDevServer, uniqueTaskQueue } from '../helpers/temporal-env.js';
import { promisify } from 'node:util';
import { CreateFileSystemCommand, EFSClient } from '@aws-sdk/client-efs';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { startSim, simControl, type RunningSim } from '../../sim/index.js';
import type { FaultSpecInput } from '../../sim/fault-spec.js';
import type { Ledger } from '../../sim/ledger.js';
import { releaseWorkflow, type ReleaseResult } from '../../workflows/release.js';
import type { ReleaseInput } from '../../workflows/release-input.js';
import { describeEnv, seedSite, SEED_VERSION } from '../helpers/deploy-env.js';
import { makeReleaseSite, type ReleaseFixture } from '../helpers/release-site.js';
import { readAudit, sampleSiteDir, type SampleSite } from '../helpers/sample-site.js';
import { FS_NAME, snapshotTree, writeTree } from '../helpers/sync-site.js';
import { startWorkerProcess, waitFor, type WorkerProcess } from '../helpers/worker-process.js';
import { recordRow, writeReport } from './report.js';
import { runPath } from '../helpers/run-dirs.js';
import { FILES_PER_SESSION } from '../../activities/sync/upload-files.js';

const run = promisify(execFile);

/** `npm run test:faults` sets it: the whole matrix. Without it, the trimmed subset `npm test` runs. */
export const FULL = process.env.FAULTS_FULL === '1';

export interface ScenarioOutcome {
  outcome: string;
  filesResent: number | null;
  serverSeconds: number | null;
}

/**
 * One row of the matrix: a node:test test that records its row (also when it fails, so the
 * generated table never hides a failure). `trimmed` scenarios also run in `npm test`.
 */
export function scenario(name: string, opts: { trimmed?: boolean; timeoutMs?: number }, fn: () => Promise<ScenarioOutcome>): void {
  const skip = !FULL && !opts.trimmed ? 'full matrix only: npm run test:faults' : false;
  test(name, { skip, timeout: opts.timeoutMs ?? 5 * 60_000 }, async () => {
    const started = Date.now();
    try {
      const out = await fn();
      recordRow({ scenario: name, ...out, timeSeconds: (Date.now() - started) / 1000, trimmed: opts.trimmed ?? false });
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
      recordRow({ scenario: name, outcome: `FAILED: ${message.slice(0, 200)}`, filesResent: null, serverSeconds: null, timeSeconds: (Date.now() - started) / 1000, trimmed: opts.trimmed ?? false });
      throw err;
    }
  });
}

/** Writes this file's rows into docs/RELIABILITY.md once all its scenarios ran. */
export function reportWhenDone(): void {
  after(() => writeReport(FULL ? 'full' : 'trimmed'));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// The sim: a site's AWS account before a release, restartable on the same state dir and ports.

export class FaultSim implements ReleaseFixture {
  sim!: RunningSim;
  fileSystemId = '';
  readonly control: ReturnType<typeof simControl>;

  private constructor(
    private readonly stateDir: string,
    private readonly timings: { transferStartSeconds: number; beanstalkUpdateSeconds: number; versionProcessSeconds: number },
    first: RunningSim,
  ) {
    this.sim = first;
    this.control = simControl(first.controlUrl);
  }

  static async start(opts: { beanstalkUpdateSeconds?: number; transferStartSeconds?: number } = {}): Promise<FaultSim> {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'fault-sim-'));
    const timings = { transferStartSeconds: opts.transferStartSeconds ?? 0.5, beanstalkUpdateSeconds: opts.beanstalkUpdateSeconds ?? 3, versionProcessSeconds: 0.2 };
    const sim = await startSim({ stateDir, ...timings });
    const fx = new FaultSim(stateDir, timings, sim);
    const efs = new EFSClient({ endpoint: sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
    const created = await efs.send(new CreateFileSystemCommand({ CreationToken: 'fault-matrix', Tags: [{ Key: 'Name', Value: FS_NAME }] }));
    efs.destroy();
    fx.fileSystemId = created.FileSystemId as string;
    await seedSite(sim);
    return fx;
  }

  /** Stops the sim (SFTP sessions and HTTP connections cut), then starts it on the same state and ports. */
  async restart(downMs = 1000): Promise<void> {
    const port = Number(new URL(this.sim.endpoint).port);
    const sftpPort = this.sim.sftpPort;
    await this.sim.close();
    await sleep(downMs);
    this.sim = await startSim({ stateDir: this.stateDir, port, sftpPort, ...this.timings });
  }

  efsDir(rel: string): string {
    return path.join(this.sim.efsDir(this.fileSystemId), rel);
  }

  async close(): Promise<void> {
    await this.sim.close();
    await rm(this.stateDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The site: the sample site wired to the sim, its data synced into its own EFS dir.

export interface FaultSite extends SampleSite {
  name: string;
  units: number;
  dataDir: string;
  /** The EFS dir on disk this site's data goes to. */
  remoteDir: string;
  parallelism: number;
}

export async function makeFaultSite(
  fx: FaultSim,
  name: string,
  opts: { units?: number; unitMs?: number; figureMs?: number; bulk?: { files: number; bytes: number }; parallelism?: number; edit?: (config: SampleSite['config']) => void } = {},
): Promise<FaultSite> {
  const units = opts.units ?? 3;
  const site = await makeReleaseSite(fx, { units, unitMs: opts.unitMs ?? 30 });
  const config = site.config as SampleSite['config'] & Record<string, Record<string, unknown>>;
  const parallelism = opts.parallelism ?? 2;
  config.data = { ...config.data, remoteDir: `/${name}`, parallelism };
  (config.compile as Record<string, unknown>).heartbeatTimeoutSeconds = 5;
  for (const figure of config.figures as unknown as { env?: Record<string, string> }[]) {
    figure.env = { ...figure.env, SAMPLE_FIGURE_MS: String(opts.figureMs ?? 50) };
  }
  opts.edit?.(config);
  await writeFile(site.configPath, JSON.stringify(config, null, 2));
  const dataDir = path.join(site.dir, 'data');
  if (opts.bulk) {
    const { files, bytes } = opts.bulk;
    await writeTree(dataDir, Object.fromEntries(Array.from({ length: files }, (_, i) => [`bulk/part-${String(i).padStart(3, '0')}.bin`, bytes])));
  }
  return { ...site, config, name, units, dataDir, remoteDir: fx.efsDir(name), parallelism };
}

export async function removeFaultSite(site: FaultSite): Promise<void> {
  await rm(site.dir, { recursive: true, force: true });
}

const expectedCache = new Map<number, Promise<Record<string, string>>>();

/**
 * What an undisturbed run compiles: the sample site's own compile and figure scripts, run
 * directly one after the other into a temp dir. Every disturbed release must end byte-identical.
 * Start it early (it takes a few seconds), e.g. in `before`.
 */
export function expectedCompiled(units: number): Promise<Record<string, string>> {
  let cached = expectedCache.get(units);
  if (!cached) {
    cached = (async () => {
      const config = JSON.parse(await readFile(path.join(sampleSiteDir, 'runbook.config.json'), 'utf8')) as { compile: { steps: { command: string[] }[] }; figures: { command: string[] }[] };
      const out = await mkdtemp(path.join(os.tmpdir(), 'fault-expected-'));
      const env: NodeJS.ProcessEnv = { ...process.env, SAMPLE_UNITS: String(units), SAMPLE_UNIT_MS: '0', SAMPLE_ROWS: '200', SAMPLE_OUTPUT_DIR: out, PYTHONPATH: '.', PYTHONDONTWRITEBYTECODE: '1', SAMPLE_FIGURE_MS: '0' };
      delete env.SAMPLE_AUDIT_LOG;
      for (const { command } of [...config.compile.steps, ...config.figures]) {
        const [cmd, ...args] = command;
        await run(cmd as string, args, { cwd: sampleSiteDir, env });
      }
      const snapshot = await snapshotTree(out);
      await rm(out, { recursive: true, force: true });
      return snapshot;
    })();
    expectedCache.set(units, cached);
  }
  return cached;
}

// ---------------------------------------------------------------------------------------------
// Workers: real `npm run worker` processes, so a test can SIGKILL the one doing the work.

export class WorkerPool {
  readonly workers: WorkerProcess[] = [];
  private refilling: Promise<void> = Promise.resolve();

  constructor(
    private readonly address: string,
    readonly taskQueue: string,
    private readonly size = 2,
  ) {}

  async fill(): Promise<void> {
    await this.refilling;
    const missing = this.size - this.workers.length;
    const started = await Promise.all(Array.from({ length: Math.max(0, missing) }, () => startWorkerProcess({ address: this.address, taskQueue: this.taskQueue })));
    this.workers.push(...started);
  }

  /** SIGKILLs one worker (no shutdown hooks) and starts its replacement in the background. */
  async crash(pid: number): Promise<void> {
    const worker = this.workers.find((w) => w.pid === pid);
    assert.ok(worker, `worker ${pid} belongs to the pool (${this.workers.map((w) => w.pid).join(', ')})`);
    this.workers.splice(this.workers.indexOf(worker), 1);
    await worker.crash();
    this.refillLater();
  }

  /** SIGKILLs every worker at once: nothing of the fleet survives to finish in-flight tasks. */
  async crashAll(): Promise<void> {
    const all = this.workers.splice(0);
    await Promise.all(all.map((w) => w.crash()));
    this.refillLater(all.length);
  }

  private refillLater(count = 1): void {
    const previous = this.refilling;
    this.refilling = previous.then(async () => {
      const replacements = await Promise.all(Array.from({ length: count }, () => startWorkerProcess({ address: this.address, taskQueue: this.taskQueue })));
      this.workers.push(...replacements);
    });
  }

  /** Waits for background replacements: a scenario leaves the pool full for the next one. */
  async settle(): Promise<void> {
    await this.refilling;
    await this.fill();
  }

  async stopAll(): Promise<void> {
    await this.refilling.catch(() => undefined);
    await Promise.all(this.workers.splice(0).map((w) => w.stop().catch(() => null)));
  }
}

/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED (@temporalio/proto is not a direct dependency). */
const STARTED = 2;

/**
 * The pid of the worker running a workflow's activity of that type (from its worker identity
 * `pid@host`); with `heartbeated`, only once the server holds a heartbeat to resume from.
 */
export async function activityOwner(client: Client, workflowId: string, activityType: string, opts: { heartbeated?: boolean } = {}): Promise<number | undefined> {
  const description = await client.workflow.getHandle(workflowId).describe().catch(() => undefined);
  const pending = description?.raw.pendingActivities?.find(
    (a) => a.activityType?.name === activityType && a.state === STARTED && (!opts.heartbeated || (a.heartbeatDetails?.payloads?.length ?? 0) > 0),
  );
  const pid = Number(pending?.lastWorkerIdentity?.split('@')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

// ---------------------------------------------------------------------------------------------
// Witnesses: what the processes and the uploads really did, observed from outside.

interface ProcInfo {
  pid: number;
  /** Process group: each subprocess the runbook starts is a group of its own. */
  pgid: number;
  cmd: string;
}

/** Processes whose working dir is inside `dir` (every subprocess the runbook starts for a site). */
export async function processesIn(dir: string): Promise<ProcInfo[]> {
  const found: ProcInfo[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cwd = await readlink(`/proc/${pid}/cwd`);
      if (cwd !== dir && !cwd.startsWith(`${dir}/`)) continue;
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
      if (argv.length === 0) continue; // a zombie on its way out
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      found.push({ pid, pgid, cmd: argv.join(' ') });
    } catch {
      // Gone between readdir and readlink, or not ours to read.
    }
  }
  return found;
}

/**
 * Samples the site's subprocesses a few times a second and remembers the most copies of one
 * command ever alive at once, a copy being a process group (the runbook starts each command as
 * a group of its own, under a supervisor shell that names the command): a crash must never
 * lead to two compiles writing one dir.
 */
export class ProcessWatch {
  private readonly most = new Map<string, number>();
  private readonly commands = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> = Promise.resolve();

  constructor(private readonly dir: string) {}

  start(): this {
    this.timer = setInterval(() => {
      this.sampling = this.sampling.then(() => this.sample());
    }, 150);
    return this;
  }

  private async sample(): Promise<void> {
    const groups = new Map<number, ProcInfo[]>();
    for (const p of await processesIn(this.dir)) {
      groups.set(p.pgid, [...(groups.get(p.pgid) ?? []), p]);
      this.commands.add(p.cmd);
    }
    const counts = new Map<string, number>();
    for (const [pgid, members] of groups) {
      // The supervisor (group leader) names the configured command; without it, the oldest member.
      const leader = members.find((m) => m.pid === pgid) ?? members.sort((a, b) => a.pid - b.pid)[0];
      if (!leader) continue;
      counts.set(leader.cmd, (counts.get(leader.cmd) ?? 0) + 1);
    }
    for (const [cmd, n] of counts) this.most.set(cmd, Math.max(n, this.most.get(cmd) ?? 0));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sampling;
  }

  /** Commands seen with two or more copies alive at the same time. */
  duplicates(): string[] {
    return [...this.most].filter(([, n]) => n > 1).map(([cmd, n]) => `${n}× ${cmd.replace(/\n/g, ' ').slice(-160)}`);
  }

  seen(pattern: RegExp): boolean {
    return [...this.commands].some((cmd) => pattern.test(cmd));
  }
}

const TEMP = /^\.(.+)\.a(\d+)\.runbook-part$/;

/**
 * Watches the EFS dir from the disk side: every inode a file had under its real name, and every
 * temp upload name (`.<name>.a<attempt>.runbook-part`) ever seen. A completed file sent again
 * shows up as a second inode; an upload in flight when a fault hit leaves a temp of an attempt
 * other than the one the sync journal says completed the file.
 */
export class UploadWitness {
  private readonly inodes = new Map<string, Set<number>>();
  private readonly temps = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();

  constructor(private readonly root: string) {}

  start(): this {
    this.timer = setInterval(() => {
      this.scanning = this.scanning.then(() => this.scan());
    }, 40);
    return this;
  }

  private async scan(dir = this.root, rel = ''): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        await this.scan(path.join(dir, entry.name), relPath);
        continue;
      }
      const temp = TEMP.exec(entry.name);
      if (temp) {
        this.temps.add(`${rel ? `${rel}/` : ''}${temp[1]}\0${temp[2]}`);
        continue;
      }
      const info = await stat(path.join(dir, entry.name)).catch(() => undefined);
      if (!info) continue;
      const set = this.inodes.get(relPath) ?? new Set<number>();
      set.add(info.ino);
      this.inodes.set(relPath, set);
    }
  }

  /** Files seen complete under their real name (optionally under a prefix). */
  completed(prefix = ''): string[] {
    return [...this.inodes.keys()].filter((p) => p.startsWith(prefix));
  }

  inode(file: string): number | undefined {
    return [...(this.inodes.get(file) ?? [])].at(-1);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.scanning;
    await this.scan();
  }

  /** Counts, checked against the sync journal of the run. */
  async resent(journalFile: string): Promise<{ afterCompletion: string[]; inFlight: string[] }> {
    const lines = (await readFile(journalFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const completedBy = new Map<string, number>();
    // A temp a later attempt continued from what was proven written is not a re-send.
    const continuedFrom = new Map<string, number>();
    const uploadsPerPath = new Map<string, number>();
    for (const line of lines) {
      let entry: { op: string; path: string; attempt: number; resumedFrom?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if (entry.op !== 'upload') continue;
      completedBy.set(entry.path, entry.attempt);
      if (entry.resumedFrom !== undefined) continuedFrom.set(entry.path, entry.resumedFrom);
      uploadsPerPath.set(entry.path, (uploadsPerPath.get(entry.path) ?? 0) + 1);
    }
    const afterCompletion = new Set<string>();
    for (const [file, inodes] of this.inodes) if (inodes.size > 1) afterCompletion.add(file);
    for (const [file, n] of uploadsPerPath) if (n > 1) afterCompletion.add(file);
    const inFlight: string[] = [];
    for (const key of this.temps) {
      const [file = '', attempt = ''] = key.split('\0');
      // Re-sent: a later attempt uploaded it again, not continuing this attempt's temp. A file this
      // attempt finished whose journal line the kill lost (lines are appended behind the uploads)
      // is found complete and skipped by the next attempt: no line, no re-send. Sent twice after
      // completing, it would show as a second inode instead (afterCompletion).
      const uploadedBy = completedBy.get(file);
      if (uploadedBy !== undefined && uploadedBy > Number(attempt) && continuedFrom.get(file) !== Number(attempt)) inFlight.push(`${file} (attempt ${attempt})`);
    }
    return { afterCompletion: [...afterCompletion], inFlight };
  }
}

// ---------------------------------------------------------------------------------------------
// A release under test, and the checks every scenario ends with.

export interface ReleaseUnderTest {
  handle: WorkflowHandle<typeof releaseWorkflow>;
  id: string;
  childId(name: 'compile' | 'sync' | 'deploy'): string;
  childStatus<T = { stage: string; step: string | null }>(name: 'compile' | 'sync' | 'deploy'): Promise<T | undefined>;
  waitChild(name: 'compile' | 'sync' | 'deploy', what: string, ok: (s: ChildStatus) => boolean, timeoutMs?: number): Promise<ChildStatus>;
  watch: ProcessWatch;
  witness: UploadWitness;
  startedAt: number;
}

export interface ChildStatus {
  stage: string;
  step: string | null;
  done?: number | null;
  filesDone?: number;
  completedSteps?: string[];
  figuresDone?: number;
  serverId?: string | null;
}

export async function startRelease(client: Client, taskQueue: string, site: FaultSite, input: Partial<ReleaseInput> = {}): Promise<ReleaseUnderTest> {
  const id = `fault-${site.name}-${Date.now()}`;
  const watch = new ProcessWatch(site.dir).start();
  const witness = new UploadWitness(site.remoteDir).start();
  const handle = await client.workflow.start(releaseWorkflow, { taskQueue, workflowId: id, args: [{ configPath: site.configPath, autoApprove: true, ...input }] });
  const childId = (name: string): string => `${id}-${name}`;
  const childStatus = async <T>(name: string): Promise<T | undefined> => {
    try {
      return await client.workflow.getHandle(childId(name)).query<T>('status');
    } catch {
      return undefined;
    }
  };
  return {
    handle,
    id,
    childId,
    childStatus,
    waitChild: (name, what, ok, timeoutMs = 120_000) =>
      waitFor(`${name}: ${what}`, async () => {
        const status = await childStatus<ChildStatus>(name);
        if (status && ['failed', 'cancelled', 'rolled-back'].includes(status.stage)) throw new Error(`${name} ended as ${status.stage} while waiting for ${what}`);
        return status && ok(status) ? status : undefined;
      }, timeoutMs, 50),
    watch,
    witness,
    startedAt: Date.now(),
  };
}

/** Servers the release's sync created, from the sim's own ledger. */
export function releaseServers(ledger: Ledger, release: ReleaseUnderTest): Ledger['servers'] {
  return ledger.servers.filter((s) => s.tags['runbook:workflowId'] === release.childId('sync'));
}

export interface ReleaseChecks {
  /** Compile units that may be done twice (the unit in flight in a process that was killed). */
  unitsRedoneAllowed?: number;
  /** Upload attempts that may have been cut mid-file (each re-sends at most `parallelism` files). */
  uploadCuts?: number;
}

export interface WorkMetrics {
  filesResent: number;
  serverSeconds: number;
  note: string;
}

/**
 * What the issue demands of the work itself after any fault: compiled data identical to an
 * undisturbed run, no completed unit or upload done again beyond those in flight, never two
 * copies of a subprocess and none left, EFS byte-identical to the local data, one server per
 * release and none left billing.
 */
export async function checkWork(fx: FaultSim, site: FaultSite, release: ReleaseUnderTest, checks: ReleaseChecks = {}): Promise<WorkMetrics> {
  await release.watch.stop();
  await release.witness.stop();

  assert.deepEqual(await snapshotTree(path.join(site.dataDir, 'compiled')), await expectedCompiled(site.units), 'compiled data identical to an undisturbed run');

  const audit = await readAudit(site.auditLog);
  let redone = 0;
  for (const part of ['expression', 'interactions']) {
    const lines = audit.filter((a) => a.part === part);
    const done = lines.filter((a) => a.event === 'done').map((a) => a.unit);
    assert.deepEqual([...new Set(done)].sort((a, b) => a - b), Array.from({ length: site.units }, (_, i) => i + 1), `${part}: every unit compiled`);
    redone += done.length - site.units;
    const order = lines.map((a) => a.pid);
    const pids = [...new Set(order)];
    for (let i = 1; i < pids.length; i++) {
      assert.ok(order.lastIndexOf(pids[i - 1] as number) < order.indexOf(pids[i] as number), `${part}: process ${pids[i - 1]} had ended before ${pids[i]} started`);
    }
  }
  assert.ok(redone <= (checks.unitsRedoneAllowed ?? 0), `${redone} completed unit(s) compiled again (allowed ${checks.unitsRedoneAllowed ?? 0})`);
  assert.deepEqual(release.watch.duplicates(), [], 'never two copies of one subprocess at once');
  await waitFor('no subprocess of the site left', async () => (await processesIn(site.dir)).length === 0, 30_000);

  assert.deepEqual(await snapshotTree(site.remoteDir), await snapshotTree(site.dataDir), 'EFS dir byte-identical to the local data');
  const resent = await release.witness.resent(runPath(site.dir, release.childId('sync'), 'sync-journal.jsonl'));
  assert.deepEqual(resent.afterCompletion, [], 'no completed upload sent again');
  const cuts = checks.uploadCuts ?? 0;
  // A cut fails the attempt, so every file in flight on every connection may be sent again
  // (small ones from byte 0): connections × sessions each × files per session.
  const inFlight = site.parallelism * 2 * FILES_PER_SESSION;
  assert.ok(resent.inFlight.length <= cuts * inFlight, `re-sent ${resent.inFlight.length} file(s) in flight (${resent.inFlight.join(', ')}), at most ${inFlight} per cut × ${cuts}`);

  const ledger = await fx.control.ledger();
  assert.equal(ledger.alive, 0, 'no Transfer server left billing');
  const servers = releaseServers(ledger, release);
  assert.equal(servers.length, 1, 'one billable server for the release, however often it was retried');
  const serverSeconds = servers.reduce((sum, s) => sum + s.billedSeconds, 0);
  const note = `${redone} unit(s) redone, ${resent.inFlight.length} in-flight file(s) re-sent`;
  return { filesResent: resent.afterCompletion.length + resent.inFlight.length, serverSeconds, note };
}

/** A release that must have completed: every stage ok, the work checked, the new version live and Green. */
export async function checkCompletedRelease(fx: FaultSim, site: FaultSite, release: ReleaseUnderTest, result: ReleaseResult, checks: ReleaseChecks = {}): Promise<WorkMetrics> {
  assert.deepEqual(result.stages.map((s) => [s.stage, s.result]), [['compile', 'ok'], ['figures', 'ok'], ['sync', 'ok'], ['image', 'ok'], ['deploy', 'ok']]);
  assert.equal(result.compile?.manifest.files, site.units * 2 + 3);
  const metrics = await checkWork(fx, site, release, checks);
  const environment = await describeEnv(fx.sim);
  assert.equal(environment?.VersionLabel, result.deploy?.versionLabel, 'the environment runs the version this release made');
  assert.equal(environment?.Health, 'Green');
  return metrics;
}

/** Ends a release a failed scenario left running, so the next scenario's release is not refused. */
export async function abandon(release: ReleaseUnderTest | undefined): Promise<void> {
  if (!release) return;
  await release.watch.stop();
  await release.witness.stop();
  const description = await release.handle.describe().catch(() => undefined);
  if (description?.status.name !== 'RUNNING') return;
  await release.handle.cancel().catch(() => undefined);
  const ended = await Promise.race([release.handle.result().then(() => true, () => true), sleep(60_000).then(() => false)]);
  if (!ended) await release.handle.terminate('fault matrix: scenario failed').catch(() => undefined);
}

/**
 * After a cancellation: the release reports cancelled, every subprocess of the site is gone and
 * every server deleted within a minute, and the environment runs (Green) what it ran before.
 */
export async function checkCancelledRelease(fx: FaultSim, site: FaultSite, release: ReleaseUnderTest, cancelledAt: number, expectVersion: string): Promise<{ serverSeconds: number; cleanMs: number }> {
  await assert.rejects(release.handle.result(), (err: Error) => /cancel/i.test(`${err.message} ${String(err.cause)}`));
  await waitFor('no subprocess of the site left and no server alive', async () => (await processesIn(site.dir)).length === 0 && (await fx.control.ledger()).alive === 0, 60_000 - (Date.now() - cancelledAt), 200);
  const cleanMs = Date.now() - cancelledAt;
  await release.watch.stop();
  await release.witness.stop();
  assert.ok(cleanMs < 60_000, `clean within a minute (took ${cleanMs} ms)`);
  assert.deepEqual(release.watch.duplicates(), [], 'never two copies of one subprocess at once');
  const status = await release.handle.query<{ stage: string }>('status');
  assert.equal(status.stage, 'cancelled');
  await waitFor('the environment Ready and Green', async () => {
    const environment = await describeEnv(fx.sim);
    return environment?.Status === 'Ready' && environment.Health === 'Green';
  }, 60_000);
  assert.equal((await describeEnv(fx.sim))?.VersionLabel, expectVersion, 'the environment runs what it ran before the release');
  const servers = releaseServers(await fx.control.ledger(), release);
  assert.ok(servers.length <= 1, 'never a second server');
  return { serverSeconds: servers.reduce((sum, s) => sum + s.billedSeconds, 0), cleanMs };
}

/** The version the environment runs now (the seed one before the first release of a file). */
export async function currentVersion(fx: FaultSim): Promise<string> {
  return (await describeEnv(fx.sim))?.VersionLabel ?? SEED_VERSION;
}

export interface MatrixRig {
  client: Client;
  taskQueue: string;
  fx: FaultSim;
  pool: WorkerPool;
}

/**
 * The rig of one scenario file: a dev server, the fault sim (Beanstalk updates taking
 * `beanstalkUpdateSeconds`) and a full worker pool, up before its scenarios and down after them,
 * then the matrix report. Returns the rig for the scenarios to use once it is up.
 */
export function useMatrixRig(name: string, beanstalkUpdateSeconds: number): () => MatrixRig {
  let rig: MatrixRig | undefined;
  let teardown: (() => Promise<void>) | undefined;
  before(async () => {
    const [env, fx] = await Promise.all([startDevServer(), FaultSim.start({ beanstalkUpdateSeconds }), expectedCompiled(3)]);
    const pool = new WorkerPool(env.address, uniqueTaskQueue(name));
    rig = { client: env.client, taskQueue: pool.taskQueue, fx, pool };
    teardown = () => env.teardown();
    await pool.fill();
  });
  after(async () => {
    await rig?.pool.stopAll();
    await rig?.fx.close();
    await teardown?.();
  });
  reportWhenDone();
  return () => {
    if (!rig) throw new Error('the matrix rig is not up yet');
    return rig;
  };
}

/**
 * One release with a disturbance and every check of a completed release; the disturbance says
 * in a few words what happened, which goes into the table with the measured counts.
 */
export async function disturbedRelease(
  rig: MatrixRig,
  name: string,
  siteOptions: Parameters<typeof makeFaultSite>[2],
  disturb: (release: ReleaseUnderTest, site: FaultSite) => Promise<string>,
  checks: ReleaseChecks = {},
  faults: FaultSpecInput[] = [],
): Promise<ScenarioOutcome> {
  const site = await makeFaultSite(rig.fx, name, siteOptions);
  let release: ReleaseUnderTest | undefined;
  try {
    for (const fault of faults) await rig.fx.control.addFault(fault);
    release = await startRelease(rig.client, rig.taskQueue, site);
    const what = await disturb(release, site);
    const result = await release.handle.result();
    await rig.fx.control.clearFaults();
    const metrics = await checkCompletedRelease(rig.fx, site, release, result, checks);
    console.log(`${name}: ${result.stages.map((s) => `${s.stage} ${(s.durationMs / 1000).toFixed(1)} s`).join(', ')}`);
    await rig.pool.settle();
    return { outcome: `completed; ${what}; ${metrics.note}`, filesResent: metrics.filesResent, serverSeconds: metrics.serverSeconds };
  } finally {
    await rig.fx.control.clearFaults().catch(() => undefined);
    await abandon(release);
    await removeFaultSite(site);
  }
}

/** Waits until a worker of the pool runs the activity, then SIGKILLs that worker. */
export async function killOwner(
  rig: MatrixRig,
  release: ReleaseUnderTest,
  child: 'compile' | 'sync' | 'deploy',
  activityType: string,
  opts: { heartbeated?: boolean } = {},
): Promise<number> {
  const pid = await waitFor(`a worker running ${activityType}`, () => activityOwner(rig.client, release.childId(child), activityType, opts), 60_000, 50);
  await rig.pool.crash(pid);
  return pid;
}
