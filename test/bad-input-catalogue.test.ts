import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createRunbookWorker, type RunbookWorker } from '../worker/create-worker.js';
import { syncDataWorkflow } from '../workflows/sync.js';
import { badInputs, type CliContext, type CliEntry, type Entry, type WorkflowEntry } from './catalogue/bad-inputs.js';
import { cell, writeDocSection } from './catalogue/reliability-doc.js';
import { makeCatalogueSite, provisioned, startCatalogueSim, type CatalogueSim, type CatalogueSite } from './catalogue/site.js';
import { repoRoot } from './helpers/sample-site.js';
import { snapshotTree, writeTree } from './helpers/sync-site.js';
import { startDevServer, uniqueTaskQueue, workflowBundle } from './helpers/temporal-env.js';

// Every malformed input in test/catalogue/bad-inputs.ts, run for real: workflows started by type
// name with the JSON a person types into the UI, the CLI as a child process, broken data dirs
// handed to the sync. The outcomes (actual messages) become the catalogue in docs/RELIABILITY.md.

let env: TestWorkflowEnvironment;
let fx: CatalogueSim;
let worker: RunbookWorker;
let running: Promise<void>;
let base: CatalogueSite;
const taskQueue = uniqueTaskQueue('catalogue');
const sites: CatalogueSite[] = [];

interface Outcome {
  entry: Entry;
  message: string;
  provisioned: string;
  skipped?: string;
  ms: number;
}
const outcomes = new Map<Entry, Outcome>();

before(async () => {
  // Every run here fails on purpose: the SDK's warning per failed activity and workflow would bury the report.
  [env, fx] = await Promise.all([startDevServer({ logLevel: 'ERROR' }), startCatalogueSim()]);
  base = await makeCatalogueSite(fx);
  // UI inputs without a configPath are served by the worker's own config, as in production.
  process.env.RUNBOOK_CONFIG = base.configPath;
  worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  running = worker.run();
});

after(async () => {
  delete process.env.RUNBOOK_CONFIG;
  worker?.shutdown();
  await running;
  await env?.teardown();
  await fx?.sim.close();
  await Promise.all([base, ...sites].filter(Boolean).map((s) => rm(s.dir, { recursive: true, force: true })));
});

/** Temp paths and ports vary per run; the catalogue shows stable text. */
function stable(message: string): string {
  let out = message;
  for (const site of [base, ...sites]) out = out.split(site.dir).join('<site>');
  return out.split(fx.sim.endpoint).join('<sim>').split(fx.fileSystemId).join('<fs>');
}

function innermostApplicationFailure(err: unknown): ApplicationFailure | undefined {
  let found: ApplicationFailure | undefined;
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure) found = current;
  }
  return found;
}

let counter = 0;

async function runWorkflowEntry(entry: WorkflowEntry): Promise<string> {
  let input: Record<string, unknown> | unknown = entry.json === undefined ? {} : (JSON.parse(entry.json) as unknown);
  if (entry.site) {
    const site = await makeCatalogueSite(fx, entry.site.edit);
    sites.push(site);
    await entry.site.prepare?.(site);
    input = { ...(input as Record<string, unknown>), configPath: site.configPath };
  }
  const workflowId = `catalogue-${++counter}-${entry.workflow}`;
  const began = Date.now();
  const handle = await env.client.workflow.start(entry.workflow, { taskQueue, workflowId, args: [input] });
  const err = await handle.result().then(
    () => assert.fail(`${entry.input}: the ${entry.workflow} run must fail`),
    (e: unknown) => e,
  );
  const elapsed = Date.now() - began;
  assert.ok(err instanceof WorkflowFailedError, `${entry.input}: expected a failed workflow, got ${String(err)}`);
  const failure = innermostApplicationFailure(err);
  assert.ok(failure, `${entry.input}: expected an ApplicationFailure in ${String(err)}`);
  assert.equal(failure.type, entry.type, `${entry.input}: failure type (message: ${failure.message})`);
  assert.equal(failure.nonRetryable, true, `${entry.input}: must not be retried`);
  assert.match(failure.message, entry.message, entry.input);
  // Fast: no activity of the run was ever retried, and it ended within seconds.
  const events = (await handle.fetchHistory()).events ?? [];
  const retried = events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
  assert.equal(retried.length, 0, `${entry.input}: an activity was retried`);
  assert.ok(elapsed < 60_000, `${entry.input}: took ${elapsed} ms`);
  return failure.message;
}

const run = promisify(execFile);
let cliContext: CliContext | undefined;

async function runCliEntry(entry: CliEntry): Promise<string> {
  assert.ok(cliContext, 'the CLI context was prepared');
  const args = entry.args(cliContext);
  const result = await run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'client', `${entry.script}.ts`), ...args], {
    cwd: repoRoot,
    // A task queue no worker polls: should a bad start slip through, nothing would run it.
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: 'catalogue-nobody-polls', RUNBOOK_CONFIG: '' },
    timeout: 60_000,
  }).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }),
  );
  assert.equal(result.code, 2, `${entry.input}: exit code (stderr: ${result.stderr})`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${entry.input}: one line on stderr: ${result.stderr}`);
  const line = lines[0] ?? '';
  assert.match(line, /^error: /);
  assert.match(line, entry.message, entry.input);
  return line.replace(/^error: /, '');
}

async function inPool<T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: size }, lane));
  return out;
}

function oneSentence(message: string, input: string): void {
  assert.ok(!message.includes('\n'), `${input}: one line`);
  assert.ok(message.length < 600, `${input}: short (${message.length} chars)`);
  assert.match(message, /[:;]|must|use|add|remove|fix|pass|give|name/, `${input}: says what to do`);
}

test('the catalogue holds at least 30 malformed inputs from each of config, UI input, CLI and data dir', () => {
  assert.ok(badInputs.length >= 30, `${badInputs.length} entries`);
  for (const where of ['config', 'UI input', 'CLI', 'data dir']) {
    assert.ok(badInputs.filter((e) => e.where === where).length >= 5, `at least 5 from ${where}`);
  }
});

test('workflow entries: each fails fast, non-retryably, naming the field and the fix; nothing provisioned', async (t) => {
  for (const entry of badInputs) {
    if (entry.where === 'CLI') continue;
    const skipped = entry.skip?.();
    await t.test(`${entry.where}: ${entry.input}`, { skip: skipped ?? false }, async () => {
      const began = Date.now();
      const message = await runWorkflowEntry(entry);
      oneSentence(message, entry.input);
      const what = await provisioned(fx);
      assert.equal(what, 'nothing', `${entry.input}: provisioned ${what}`);
      outcomes.set(entry, { entry, message: `[${entry.type}] ${stable(message)}`, provisioned: what, ms: Date.now() - began });
    });
    if (skipped) outcomes.set(entry, { entry, message: '', provisioned: 'nothing', skipped, ms: 0 });
  }
});

test('CLI entries: exit code 2 and one line naming the argument, before anything starts', async (t) => {
  // A release that failed (bad input): approving it is a mistake the CLI must refuse.
  const failedReleaseId = 'catalogue-failed-release';
  await env.client.workflow.start('releaseWorkflow', { taskQueue, workflowId: failedReleaseId, args: [{ stages: ['nope'] }] }).then((h) => h.result()).catch(() => undefined);
  const regionSite = await makeCatalogueSite(fx, (c) => ((c.aws as Record<string, unknown>).region = 'eu-north-9'));
  sites.push(regionSite);
  cliContext = { badRegionConfig: regionSite.configPath, failedReleaseId };
  const cliEntries = badInputs.filter((e): e is CliEntry => e.where === 'CLI');
  // Two CLI processes at a time: each spends most of its second starting node and tsx.
  const results = await inPool(cliEntries, 2, async (entry) => {
    const began = Date.now();
    try {
      return { message: await runCliEntry(entry), ms: Date.now() - began };
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  });
  for (const entry of cliEntries) {
    await t.test(`CLI: ${entry.input}`, async () => {
      const result = results[cliEntries.indexOf(entry)];
      if (result instanceof Error) throw result;
      assert.ok(result);
      oneSentence(result.message, entry.input);
      const what = await provisioned(fx);
      assert.equal(what, 'nothing');
      outcomes.set(entry, { entry, message: `[exit 2] ${stable(result.message)}`, provisioned: what, ms: result.ms });
    });
  }
  // Nothing was started on the queue the CLI would have used.
  const started = [];
  for await (const w of env.client.workflow.list({ query: `TaskQueue = "catalogue-nobody-polls"` })) started.push(w.workflowId);
  assert.deepEqual(started, []);
});

test('names that only look like traversal ("a..b", "..hidden", "...", "..\\..\\x") are ordinary files: uploaded as named, inside the remote dir', async () => {
  // A path component ".." cannot exist in a directory listing; what a hostile or broken tree
  // can hold is names that contain dots and backslashes. They must be neither refused nor
  // interpreted: EFS stores them as they are, and nothing lands outside data.remoteDir.
  const site = await makeCatalogueSite(fx);
  sites.push(site);
  await writeTree(site.dataDir, { 'a..b.feather': 'ab', '..hidden': 'h', '...': 'dots', '..\\..\\x.pkl': 'backslashes', 'sub/..data': 'd' });
  const efsRoot = fx.sim.efsDir(fx.fileSystemId);
  const before: string[] = await readdir(efsRoot).catch(() => []);
  const result = await env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `catalogue-dotted-names`, args: [{ configPath: site.configPath }] });
  assert.equal(result.uploaded.files, 7);
  const remote = await snapshotTree(path.join(efsRoot, 'data'));
  assert.deepEqual(remote, await snapshotTree(site.dataDir), 'the remote dir mirrors the data dir byte for byte, names included');
  assert.deepEqual((await readdir(efsRoot)).filter((n) => !before.includes(n)).sort(), before.includes('data') ? [] : ['data'], 'nothing new outside /data');
  await assert.rejects(stat(path.join(efsRoot, 'x.pkl')), 'no backslash path was resolved');
  const ledger = await fx.control.ledger();
  assert.equal(ledger.alive, 0, 'the one server of this sync is gone');
  assert.equal(ledger.servers.length, 1);
});

test('the catalogue and its actual messages are written to docs/RELIABILITY.md', async () => {
  const rows = badInputs.map((entry, i) => {
    const outcome = outcomes.get(entry);
    assert.ok(outcome, `entry ${i + 1} (${entry.input}) ran`);
    const message = outcome.skipped ? `(skipped here: ${outcome.skipped})` : outcome.message;
    return `| ${i + 1} | ${entry.where} | ${cell(entry.input)} | ${cell(message)} | ${outcome.provisioned} |`;
  });
  const counts = ['config', 'UI input', 'CLI', 'data dir'].map((w) => `${badInputs.filter((e) => e.where === w).length} ${w}`).join(', ');
  const skipped = [...outcomes.values()].filter((o) => o.skipped).length;
  await writeDocSection(
    'bad-input',
    [
      '## Bad input catalogue',
      '',
      `Generated by \`test/bad-input-catalogue.test.ts\` from \`test/catalogue/bad-inputs.ts\`: ${badInputs.length} malformed inputs (${counts})` +
        `${skipped ? `, ${skipped} skipped on this machine` : ''}. Each one failed fast and non-retryably (workflows: the failure type in brackets, ` +
        'no activity attempt beyond the first; CLI: exit code 2 and this one line on stderr), with the message shown, and the sim held no ' +
        'Transfer server, no S3 object, no built or pushed image and no new application version afterwards. Workflows were started by type ' +
        'name with the raw JSON a person types into the Temporal UI; config entries pass `configPath` to a site whose config has the fault. ' +
        '`<site>` stands for the temp copy of the sample site.',
      '',
      '| # | where | input | message | provisioned |',
      '|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
});
