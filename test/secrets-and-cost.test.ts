import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { inRegion, type LedgerServer } from '../sim/index.js';
import { releaseWorkflow } from '../workflows/release.js';
import { syncDataWorkflow } from '../workflows/sync.js';
import { cell, writeDocSection } from './catalogue/reliability-doc.js';
import { simState } from './helpers/deploy-env.js';
import { makeReleaseSite, startReleaseSim, type ReleaseFixture } from './helpers/release-site.js';
import type { SampleSite } from './helpers/sample-site.js';
import { makeSyncSite, writeTree } from './helpers/sync-site.js';
import { historyText } from './helpers/history-text.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker-process.js';

// The runs that handle secrets (a whole release: compile, sync with its SSH key, docker login
// with an ECR Public token, deploy; and a sync whose SFTP connection drops) on one dev server,
// by a worker whose AWS credentials are recognisable; then every history on that server is
// scanned for them, and every Transfer server's bill is held against the work it did.

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
let worker: WorkerProcess;
const sites: SampleSite[] = [];
const taskQueue = uniqueTaskQueue('secrets');

// Recognisable, and shaped like the real thing (20-char key id, 40-char secret).
const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
const secretAccessKey = `scan${randomBytes(18).toString('hex')}`;
const sessionToken = `IQoJb3JpZ2luX2VjE${randomBytes(24).toString('base64url')}`;
const canary = `canary-${randomUUID().slice(0, 8)}`;

interface ScannedRun {
  workflowId: string;
  runId: string;
  type: string;
  text: string;
  events: temporal.api.history.v1.IHistoryEvent[];
}
let scanned: ScannedRun[] = [];
let releaseId = '';

before(async () => {
  [env, fx] = await Promise.all([startDevServer(), startReleaseSim()]);
  // The sim checks signatures: it must know the worker's (random) identity.
  await fx.control.addPrincipal({ accessKeyId, secretAccessKey });
  worker = await startWorkerProcess({
    address: env.address,
    taskQueue,
    env: { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_SESSION_TOKEN: sessionToken },
  });
});

after(async () => {
  await worker?.stop();
  await env?.teardown();
  await fx?.close();
  await Promise.all(sites.map((s) => rm(s.dir, { recursive: true, force: true })));
});

async function scanServer(): Promise<ScannedRun[]> {
  const runs: ScannedRun[] = [];
  for await (const w of env.client.workflow.list()) {
    const history = await env.client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    runs.push({ workflowId: w.workflowId, runId: w.runId, type: w.type, text: historyText(history), events: history.events ?? [] });
  }
  return runs;
}

test('a release, a sync through a dropped connection and a bad start run on the sim with the worker holding recognisable AWS credentials', async () => {
  // The release: compile, figures, sync (SSH key made in the activity), image (docker login with
  // an ECR Public token, failed once so an error path carries docker's output), deploy.
  const releaseSite = await makeReleaseSite(fx);
  sites.push(releaseSite);
  await fx.control.addFault({ service: 'docker', operation: 'login', count: 1, exitCode: 1, message: 'Error response from daemon: login attempt failed' });
  releaseId = `secrets-release-${Date.now()}`;
  const release = await env.client.workflow.execute(releaseWorkflow, { taskQueue, workflowId: releaseId, args: [{ configPath: releaseSite.configPath, autoApprove: true }] });
  assert.deepEqual(release.stages.map((s) => s.result), ['ok', 'ok', 'ok', 'ok', 'ok']);

  // A sync of 6 MB whose SFTP connection is cut after 2 MB: the upload resumes on a new session.
  const fixture = { ...fx, remoteDir: path.join(fx.sim.efsDir(fx.fileSystemId), 'data') };
  const syncSite = await makeSyncSite(fixture, { data: { remoteDir: '/data-drop' } });
  sites.push(syncSite);
  await writeTree(syncSite.dataDir, Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`part-${i}.bin`, 1024 * 1024])));
  await fx.control.addFault({ service: 'sftp', dropAfterBytes: 2 * 1024 * 1024, count: 1 });
  const synced = await env.client.workflow.execute(syncDataWorkflow, { taskQueue, workflowId: `secrets-sync-drop-${Date.now()}`, args: [{ configPath: syncSite.configPath }] });
  assert.equal(synced.uploaded.files, 6);
  const fired = await fx.control.faults();
  assert.ok(fired.every((f) => f.fired >= 1), `every injected fault fired: ${JSON.stringify(fired)}`);

  // A start with a canary in its input: proves the scan decodes input payloads.
  await env.client.workflow
    .execute('compileWorkflow', { taskQueue, workflowId: `secrets-canary-${Date.now()}`, args: [{ site: canary, configPath: releaseSite.configPath }] })
    .catch(() => undefined);
  assert.equal((await fx.control.ledger()).alive, 0);
});

test('no private key, registry token or AWS secret in any workflow history on the server', async () => {
  scanned = await waitFor('every run to be listed', async () => {
    const runs = await scanServer();
    // release + its compile, sync and deploy children + the dropped sync + the canary
    return runs.length >= 6 ? runs : undefined;
  }, 30_000, 500);
  const all = scanned.map((r) => r.text).join('\n');

  // The scan is not vacuous: it sees decoded inputs, results and every kind of run.
  assert.ok(all.includes(canary), 'a workflow input payload was decoded');
  assert.ok(all.includes('"uploaded"'), 'a sync result payload was decoded');
  // Every workflow type a release runs, its site lock included: all of them are scanned.
  assert.deepEqual([...new Set(scanned.map((r) => r.type))].sort(), ['compileWorkflow', 'deployWorkflow', 'releaseWorkflow', 'siteLockWorkflow', 'syncDataWorkflow']);

  // What the sim issued: the ECR Public passwords docker logged in with (the docker double
  // accepts only those), and the base64 authorization tokens they came in.
  const state = await simState(fx.sim);
  const passwords = [...state.ecrPublic.tokens, ...inRegion(state).ecr.tokens].map((t) => t.password);
  assert.ok(passwords.length >= 1, 'the image stage fetched a registry token');
  assert.ok(Object.keys(state.docker.logins).includes('public.ecr.aws'), 'docker logged in with it');
  const secrets: [string, string][] = [
    ['PRIVATE KEY', 'a PEM private key'],
    ['openssh-key-v1', 'an OpenSSH private key'],
    ['b3BlbnNzaC1rZXktdjE', 'an OpenSSH private key (base64 body)'],
    [secretAccessKey, 'AWS_SECRET_ACCESS_KEY'],
    [sessionToken, 'AWS_SESSION_TOKEN'],
    ...passwords.flatMap((p): [string, string][] => [
      [p, 'a registry password'],
      [Buffer.from(`AWS:${p}`).toString('base64'), 'an ECR authorization token'],
    ]),
  ];
  for (const run of scanned) {
    for (const [needle, what] of secrets) {
      assert.ok(!run.text.includes(needle), `${what} in the history of ${run.type} ${run.workflowId}`);
    }
  }
  // The worker's own log lines are where a careless error message would land first.
  const output = worker.output();
  for (const [needle, what] of secrets) assert.ok(!output.includes(needle), `${what} in the worker's output`);
  console.log(`secrets scan: ${scanned.length} runs, ${scanned.reduce((n, r) => n + r.events.length, 0)} events, ${all.length} characters, ${secrets.length} needles, 0 found`);
});

interface ServerCost {
  serverId: string;
  workflowId: string;
  billed: number;
  provisioning: number;
  transfer: number;
  teardown: number;
  window: number;
  ratio: number;
}

/** Seconds between the first event matching `from` and the last matching `to`. */
function span(events: temporal.api.history.v1.IHistoryEvent[], from: string, to: string): { start: number; end: number } {
  const scheduled = new Map<string, string>();
  const times: { name: string; kind: 'scheduled' | 'done'; at: number }[] = [];
  for (const e of events) {
    const at = Number(e.eventTime?.seconds ?? 0) + (e.eventTime?.nanos ?? 0) / 1e9;
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (name) {
      scheduled.set(String(e.eventId), name);
      times.push({ name, kind: 'scheduled', at });
    }
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    if (done) times.push({ name: scheduled.get(String(done.scheduledEventId)) ?? '?', kind: 'done', at });
  }
  const start = times.find((t) => t.name === from && t.kind === 'scheduled')?.at;
  const end = times.filter((t) => t.name === to && t.kind === 'done').at(-1)?.at;
  assert.ok(start !== undefined && end !== undefined, `history has ${from} … ${to}`);
  return { start, end };
}

test('every Transfer server billed at most its provisioning, transfer and teardown; total and worst ratio', async () => {
  const ledger = await fx.control.ledger();
  assert.equal(ledger.alive, 0, 'no server left billing');
  assert.ok(ledger.servers.length >= 2, 'the release and the dropped sync each had a server');
  const runs = scanned.length ? scanned : await scanServer();
  const costs: ServerCost[] = ledger.servers.map((server: LedgerServer) => {
    const workflowId = server.tags['runbook:workflowId'] ?? '';
    const run = runs.find((r) => r.workflowId === workflowId && r.type === 'syncDataWorkflow');
    assert.ok(run, `server ${server.serverId} belongs to a sync on this server (${workflowId})`);
    const provisioning = span(run.events, 'provisionSftpServer', 'waitForServerOnline');
    const transfer = span(run.events, 'createSftpUser', 'verifyRemoteTree');
    const teardown = span(run.events, 'teardownSftpServer', 'teardownSftpServer');
    const necessary = provisioning.end - provisioning.start + (transfer.end - transfer.start) + (teardown.end - teardown.start);
    const cost: ServerCost = {
      serverId: server.serverId,
      workflowId,
      billed: server.billedSeconds,
      provisioning: provisioning.end - provisioning.start,
      transfer: transfer.end - transfer.start,
      teardown: teardown.end - teardown.start,
      window: teardown.end - provisioning.start,
      ratio: server.billedSeconds / necessary,
    };
    // The server existed only inside the run's provision → teardown window, and at least while
    // files moved; what it billed beyond the three phases is the two hand-offs between them.
    assert.ok(cost.billed <= cost.window + 0.05, `${server.serverId} billed ${cost.billed} s, outside its ${cost.window.toFixed(2)} s window`);
    assert.ok(cost.billed >= cost.transfer - 0.05, `${server.serverId} billed less than its transfer took`);
    assert.ok(cost.ratio <= 1.5, `${server.serverId} billed ${cost.billed} s for ${necessary.toFixed(2)} s of work`);
    return cost;
  });
  const total = costs.reduce((n, c) => n + c.billed, 0);
  const worst = costs.reduce((w, c) => (c.ratio > w.ratio ? c : w));
  console.log(`cost: ${costs.length} Transfer servers, ${total.toFixed(2)} billed seconds in all, worst ratio ${worst.ratio.toFixed(3)} (${worst.workflowId})`);
  const f = (n: number): string => n.toFixed(2);
  await writeDocSection(
    'cost',
    [
      '## Cost of the Transfer servers',
      '',
      'Generated by `test/secrets-and-cost.test.ts` (a full release and a sync whose SFTP connection is cut after 2 MB, on the sim). ' +
        'Billed seconds come from the sim\'s ledger (creation to deletion, as Transfer bills); the phases from the sync\'s own history: ' +
        'provisioning = `provisionSftpServer` scheduled → `waitForServerOnline` done, transfer = `createSftpUser` scheduled → `verifyRemoteTree` done, ' +
        'teardown = `teardownSftpServer` scheduled → done. Ratio = billed / (provisioning + transfer + teardown); the test requires every ' +
        'server to bill within its run\'s provision → teardown window, at least its transfer time, a ratio ≤ 1.5, and `alive = 0` at the end.',
      '',
      '| sync workflow | server | billed s | provisioning s | transfer s | teardown s | ratio |',
      '|---|---|---|---|---|---|---|',
      ...costs.map((c) => `| ${cell(c.workflowId.replace(/-\d{10,}/, '-<time>'))} | ${c.serverId.slice(0, 4)}… | ${f(c.billed)} | ${f(c.provisioning)} | ${f(c.transfer)} | ${f(c.teardown)} | ${c.ratio.toFixed(3)} |`),
      '',
      `Total billed: ${f(total)} server-seconds over ${costs.length} servers; worst ratio ${worst.ratio.toFixed(3)}; alive at the end: ${ledger.alive}. ` +
        `${costs.every((c) => c.ratio <= 1) ? 'Every server billed no more than its provisioning + transfer + teardown. ' : 'Some server billed more than its three phases (the hand-offs between them, under load). '}` +
        'The bad-input catalogue adds one server (its dotted-names sync) and, for its 60-odd refused inputs, none.',
    ].join('\n'),
  );
});
