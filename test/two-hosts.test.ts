import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { releaseWorkflow } from '../workflows/release.js';
import { releaseStatusQuery } from '../workflows/release-status.js';
import { formatStatusLine, readStatus } from '../client/progress-view.js';
import { describeEnv } from './helpers/deploy-env.js';
import { makeReleaseSite, startReleaseSim, type ReleaseFixture } from './helpers/release-site.js';
import { readAudit, repoRoot } from './helpers/sample-site.js';
import { filesOnly, snapshotPrefix } from './helpers/s3-site.js';
import { snapshotTree } from './helpers/sync-site.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { snapshotMtimes } from './helpers/tree-times.js';
import { waitFor } from './helpers/worker-process.js';
import { addNotifyChannels } from './helpers/notify-site.js';
import { slackText } from './helpers/webhook-receiver.js';

// Two workers as two machines: each in its own mount namespace, where the site's path holds that
// host's private copy of the site. The run's data work must stay on the host that holds its data.

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
const taskQueue = uniqueTaskQueue('two-hosts');

before(async () => {
  env = await startDevServer();
  fx = await startReleaseSim();
});
after(async () => {
  await fx?.close();
  await env?.teardown();
});

interface HostWorker {
  child: ChildProcess;
  output: () => string;
  kill: () => Promise<void>;
}

/** `npm run worker` as host `hostId`, in a new mount namespace where `siteDir` shows `copyDir`. */
async function startHost(hostId: string, siteDir: string, copyDir: string, extraEnv: Record<string, string> = {}): Promise<HostWorker> {
  const script = `mount --bind "$1" "$2" && exec "$3" --import tsx "$4"`;
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'host', copyDir, siteDir, process.execPath, path.join(repoRoot, 'worker', 'main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, TEMPORAL_TASK_QUEUE: taskQueue, RUNBOOK_HOST_ID: hostId, RUNBOOK_CONFIG: path.join(siteDir, 'runbook.config.json'), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(`worker ${hostId} to be ready`, async () => {
    if (child.exitCode !== null) throw new Error(`worker ${hostId} exited:\n${output}`);
    return output.includes('worker ready');
  }, 60_000);
  return {
    child,
    output: () => output,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * The run dirs a host's copy holds for a release and its children (`<id>`, `<id>-compile`, …).
 * Only theirs: the janitor schedule each worker ensures may fire meanwhile and load the config
 * on either host, which is no data work of the release.
 */
async function runDirsOf(copy: string, releaseId: string): Promise<string[]> {
  const names = await readdir(path.join(copy, '.runbook', 'runs')).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith(releaseId));
}

/**
 * The site as two hosts hold it: the same path, different files. B's copy would compile other
 * data, and it has no Dockerfile: any data work B did would show on EFS or fail the build.
 */
async function twoCopies(siteDir: string): Promise<{ copyA: string; copyB: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'runbook-hosts-'));
  const copyA = path.join(root, 'host-a');
  const copyB = path.join(root, 'host-b');
  await cp(siteDir, copyA, { recursive: true, verbatimSymlinks: true });
  await cp(siteDir, copyB, { recursive: true, verbatimSymlinks: true });
  const configB = JSON.parse(await readFile(path.join(copyB, 'runbook.config.json'), 'utf8')) as { compile: { steps: { env: Record<string, string> }[] } };
  for (const step of configB.compile.steps) step.env.SAMPLE_ROWS = '77';
  await writeFile(path.join(copyB, 'runbook.config.json'), JSON.stringify(configB, null, 2));
  await rm(path.join(copyB, 'Dockerfile'));
  return { copyA, copyB };
}

interface HostView { id: string; waitMinutes: number; lastAnsweredAt: string | null; dataWork: { activity: string; since: string }[] }

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

/**
 * The activities that read or write the site's files, its state dir or the docker engine, written
 * out here rather than taken from workflows/host-affinity.ts: a name missing there fails here.
 */
const dataActivities = new Set([
  'loadSiteConfig', 'prepareOutputDir', 'commitOutputDir', 'restorePreviousOutput', 'recordFiguresInManifest',
  'runCompileStep', 'validateCompiledData', 'runFigureScript',
  'checkSyncPrerequisites', 'checkLocalTreeUnchanged', 'planDryRun', 'syncDirectory', 'verifyRemoteTree',
  'checkS3Target', 'syncS3Prefix', 'verifyS3Prefix',
  'checkDeployTarget', 'buildImage', 'pushImage', 'uploadSourceBundle', 'sendNotification',
]);

/** Every activity the server recorded as scheduled by a run and its child workflows, with the queue it went to. */
async function scheduledActivities(handle: WorkflowHandle): Promise<{ workflowId: string; activity: string; taskQueue: string }[]> {
  const out: { workflowId: string; activity: string; taskQueue: string }[] = [];
  const events = (await handle.fetchHistory()).events ?? [];
  for (const a of events.flatMap((e) => e.activityTaskScheduledEventAttributes ?? [])) {
    out.push({ workflowId: handle.workflowId, activity: a.activityType?.name ?? '', taskQueue: a.taskQueue?.name ?? '' });
  }
  for (const child of events.flatMap((e) => e.childWorkflowExecutionStartedEventAttributes ?? [])) {
    const execution = child.workflowExecution;
    if (execution?.workflowId) out.push(...(await scheduledActivities(env.client.workflow.getHandle(execution.workflowId, execution.runId ?? undefined))));
  }
  return out;
}

test('two hosts: host A dies mid-compile, host B runs none of its data work, A comes back and adopts the step; EFS and the image are A’s', async () => {
  const site = await makeReleaseSite(fx, { units: 10, unitMs: 1500 });
  const { copyA, copyB } = await twoCopies(site.dir);
  let a = await startHost('host-a', site.dir, copyA);
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release-two-hosts-${Date.now()}`, args: [{ configPath: path.join(site.dir, 'runbook.config.json'), autoApprove: true }] });
  const b = await startHost('host-b', site.dir, copyB);
  try {
    const pinned = await waitFor('the release to pin its host', async () => ((await handle.query(releaseStatusQuery)) as { host?: { id: string } | null }).host, 30_000);
    assert.equal(pinned?.id, 'host-a');
    await waitFor('a unit done on host A', async () => (await readAudit(path.join(copyA, 'audit.log'))).some((e) => e.event === 'done'), 120_000);
    // A step running on a live host is not a wait for it.
    assert.equal((await readStatus(handle, env.client))?.hostWait, undefined);
    const killedAt = Date.now();
    await a.kill();
    // Longer than the step's heartbeat timeout (10 s): a retry would have been dispatched by now.
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    assert.deepEqual(await runDirsOf(copyB, handle.workflowId), [], 'host B ran none of the run’s data work');
    assert.deepEqual(await readAudit(path.join(copyB, 'audit.log')), [], 'host B compiled nothing');
    const waiting = await handle.query(releaseStatusQuery);
    assert.equal(waiting.stage, 'compile+figures', `the release waits for its host; host B said:\n${b.output()}`);
    // The compile child's own status says what waits on which host, and since when.
    const compileStatus = await env.client.workflow.getHandle(`${handle.workflowId}-compile`).query<{ host?: HostView | null }>('status');
    assert.equal(compileStatus.host?.id, 'host-a');
    assert.ok(compileStatus.host?.dataWork.some((w) => w.activity === 'runCompileStep'), `a compile step waits on host-a: ${JSON.stringify(compileStatus.host)}`);

    // What `npm run status` prints for the release: its data work waits for host-a, last seen
    // before the kill (its step's last heartbeat or poll), not a healthy step that runs on.
    const line = await waitFor(
      'the release status to say it waits for host-a',
      async () => {
        const status = await readStatus(handle, env.client);
        return status?.hostWait ? formatStatusLine(status, false) : undefined;
      },
      60_000,
    );
    assert.match(line ?? '', /waiting for host host-a, last seen (\d\d:\d\d) UTC \(runCompileStep queued there since \d\d:\d\d UTC; fails at \d\d:\d\d UTC unless a worker with RUNBOOK_HOST_ID=host-a takes it\)/);
    const lastSeen = /last seen (\d\d:\d\d)/.exec(line ?? '')?.[1];
    assert.ok(lastSeen && lastSeen <= new Date(killedAt + 1000).toISOString().slice(11, 16), `last seen ${lastSeen} is not after the kill`);

    // The release's own status (what the UI's Queries tab shows) says the same, kept by the
    // workflow itself: what waits on which host, until when, and what to do.
    const own = await waitFor('the release’s own status to show the host wait', async () => {
      const status = await handle.query(releaseStatusQuery);
      return status.waiting?.for === 'host' ? status : undefined;
    }, 60_000);
    assert.equal(own?.waiting?.workflowId, `${handle.workflowId}-compile`);
    assert.equal(own?.waiting?.workflowType, 'compileWorkflow');
    assert.match(own?.waiting?.what ?? '', /host host-a holds this release's data, and no worker there has taken runCompileStep since \d\d:\d\d UTC \(host last seen \d\d:\d\d UTC\)/);
    assert.ok(own?.waiting?.until && Date.parse(own.waiting.until) > Date.now(), `the wait names when the stage gives up: ${own?.waiting?.until}`);
    assert.match(own?.waiting?.ui ?? '', /RUNBOOK_HOST_ID=host-a npm run worker/);
    assert.match(own?.nextAction ?? '', /^act: .*RUNBOOK_HOST_ID=host-a/);
    assert.equal(own?.stages.find((s) => s.stage === 'compile')?.state, 'waiting');

    a = await startHost('host-a', site.dir, copyA);
    // Once A takes the work again, the release stops saying it waits (while its compile still runs).
    const resumed = await waitFor('the release’s own status to drop the host wait', async () => {
      const status = await handle.query(releaseStatusQuery);
      return status.waiting?.for !== 'host' ? status : undefined;
    }, 90_000);
    assert.notEqual(resumed?.stages.find((s) => s.stage === 'compile')?.state, 'waiting');
    const result = await handle.result();
    // Once host A is back, nothing waits for it.
    assert.equal((await readStatus(handle, env.client))?.hostWait, undefined);
    assert.equal(result.compile?.steps.find((s) => s.name === 'expression')?.adopted || result.compile?.steps.some((s) => s.adopted), true, 'host A adopted its running step');
    // The world: EFS holds host A's data byte for byte; B's copy was never read or written.
    const remote = path.join(fx.sim.efsDir(fx.fileSystemId), 'data');
    const local = await snapshotMtimes(path.join(copyA, 'data'));
    assert.ok(local.size > 0);
    assert.deepEqual([...(await snapshotMtimes(remote)).keys()].sort(), [...local.keys()].sort(), 'EFS holds exactly host A’s files');
    for (const file of local.keys()) assert.deepEqual(await readFile(path.join(remote, file)), await readFile(path.join(copyA, 'data', file)), `${file} on EFS is host A's`);
    // The server's record: every piece of data work, in the release and its children, went to A's queue.
    const scheduled = await scheduledActivities(handle);
    const data = scheduled.filter((a) => dataActivities.has(a.activity));
    for (const name of ['runCompileStep', 'checkLocalTreeUnchanged', 'syncDirectory', 'buildImage']) assert.ok(data.some((a) => a.activity === name), `${name} was scheduled`);
    assert.deepEqual(data.filter((a) => a.taskQueue !== `${taskQueue}@host-a`), [], 'data work scheduled off host A’s queue');
    assert.equal(await exists(path.join(copyB, 'data', 'compiled')), false, 'nothing compiled into B’s copy');
    // The image was built from A's context (B's copy has no Dockerfile) and is the one running.
    assert.equal((await describeEnv(fx.sim))?.VersionLabel, result.deploy?.versionLabel);
  } finally {
    await a.kill().catch(() => undefined);
    await b.kill().catch(() => undefined);
    await handle.terminate('test cleanup').catch(() => undefined);
    await rm(path.dirname(copyA), { recursive: true, force: true });
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('two hosts: the data host dies during the sync and stays down; the run fails naming it, the other host still deletes the Transfer server and says so', async () => {
  const site = await makeReleaseSite(fx);
  // Both hosts' copies notify: the news that the data host is gone must come from the other one.
  const channels = await addNotifyChannels(fx, path.join(site.dir, 'runbook.config.json'));
  const { copyA, copyB } = await twoCopies(site.dir);
  const wait = { RUNBOOK_HOST_WAIT_MINUTES: '0.25' };
  // Both hosts up before the run: whichever answers first holds its data.
  const hosts = new Map([['host-a', { worker: await startHost('host-a', site.dir, copyA, wait), copy: copyA }], ['host-b', { worker: await startHost('host-b', site.dir, copyB, wait), copy: copyB }]]);
  // The SFTP user's key takes 20 s to import: the server bills while the data host goes down.
  await fx.control.addFault({ service: 'transfer', operation: 'ImportSshPublicKey', latencyMs: 20_000, count: 1 });
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release-host-gone-${Date.now()}`, args: [{ configPath: path.join(site.dir, 'runbook.config.json'), stages: ['compile', 'sync'] }] });
  try {
    const pinned = await waitFor('the release to pin its host', async () => ((await handle.query(releaseStatusQuery)) as { host?: { id: string } | null }).host?.id, 60_000);
    const dataHost = hosts.get(pinned);
    const [otherId, other] = [...hosts].find(([id]) => id !== pinned) ?? [];
    assert.ok(dataHost && other && otherId);
    await waitFor('a Transfer server to bill', async () => (await fx.control.ledger()).alive > 0, 180_000, 100).catch(async (err: Error) => {
      const status = await handle.query(releaseStatusQuery).catch((e: unknown) => String(e));
      throw new Error(`${err.message}\nstatus: ${JSON.stringify(status)}\n${pinned}:\n${dataHost.worker.output()}`);
    });
    await dataHost.worker.kill();
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof WorkflowFailedError, 'the release failed');
    let cause: unknown = err;
    let hostUnavailable: ApplicationFailure | undefined;
    while (cause instanceof Error) {
      if (cause instanceof ApplicationFailure && cause.type === 'HostUnavailable') hostUnavailable = cause;
      cause = cause.cause;
    }
    assert.match(hostUnavailable?.message ?? String(err), new RegExp(`Host ${pinned} holds this run's data`));
    // The world: the server is gone (teardown ran on the surviving host), and that host never
    // touched its own copy of the site for this run.
    const ledger = await fx.control.ledger();
    assert.equal(ledger.alive, 0, `${otherId} tore the server down`);
    assert.deepEqual(await runDirsOf(other.copy, handle.workflowId), [], `${otherId} did none of the run's data work`);
    assert.deepEqual(await readAudit(path.join(other.copy, 'audit.log')), [], `${otherId} compiled nothing`);
    // The people hear it once per channel, naming the host: sent from the surviving host, since
    // the data host's worker (where other messages go) is the one gone.
    const failed = channels.receiver.accepted().map((p) => slackText(p)).filter((t) => /release failed at sync/.test(t));
    assert.equal(failed.length, 1, channels.receiver.received.map((p) => p.body.text).join('\n'));
    assert.match(failed[0] ?? '', new RegExp(`Host ${pinned} holds this run's data`));
    const emails = (await fx.control.snsPublished()).filter((m) => m.topicArn === channels.topicArn && /release failed at sync/.test(m.subject ?? ''));
    assert.equal(emails.length, 1);
    const sentFrom = (await scheduledActivities(handle)).filter((a) => a.activity === 'sendNotificationFromAnyHost');
    assert.deepEqual(sentFrom.map((a) => a.taskQueue), [taskQueue, taskQueue], 'the failure notice went to the shared queue, once per channel');
  } finally {
    await channels.receiver.close();
    for (const { worker } of hosts.values()) await worker.kill().catch(() => undefined);
    await fx.control.clearFaults();
    await handle.terminate('test cleanup').catch(() => undefined);
    await rm(path.dirname(copyA), { recursive: true, force: true });
    await rm(site.dir, { recursive: true, force: true });
  }
});

test('two hosts, S3 target: the sync uploads the data host’s tree, never the other’s', async () => {
  const bucket = 'two-hosts-data';
  const s3 = new S3Client({ endpoint: fx.sim.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const site = await makeReleaseSite(fx, {
    edit: (config) => {
      config.data = { localDir: 'data', deleteExtraneous: true, parallelism: 3, verify: 'all', target: { kind: 's3', bucket, prefix: 'site', retryInitialSeconds: 0.5 } };
      delete config.transfer;
    },
  });
  const { copyA, copyB } = await twoCopies(site.dir);
  // Each copy also holds a file of its own: the bucket says whose tree went up.
  for (const [copy, id] of [[copyA, 'host-a'], [copyB, 'host-b']] as const) {
    await mkdir(path.join(copy, 'data'), { recursive: true });
    await writeFile(path.join(copy, 'data', `${id}-only.txt`), `${id}\n`);
  }
  // Both hosts up before the run: whichever answers first holds its data.
  const hosts = new Map([['host-a', { worker: await startHost('host-a', site.dir, copyA), copy: copyA }], ['host-b', { worker: await startHost('host-b', site.dir, copyB), copy: copyB }]]);
  const handle = await env.client.workflow.start(releaseWorkflow, { taskQueue, workflowId: `release-two-hosts-s3-${Date.now()}`, args: [{ configPath: path.join(site.dir, 'runbook.config.json'), stages: ['compile', 'sync'] }] });
  try {
    const result = await handle.result();
    const pinned = (await handle.query(releaseStatusQuery) as { host?: { id: string } | null }).host?.id ?? '';
    const dataHost = hosts.get(pinned);
    const [otherId, other] = [...hosts].find(([id]) => id !== pinned) ?? [];
    assert.ok(dataHost && other && otherId, `pinned to ${pinned}`);
    assert.equal(result.sync?.s3?.bucket, bucket);
    // The world: the bucket holds the data host's tree byte for byte, the other's file is not there.
    const local = filesOnly(await snapshotTree(path.join(dataHost.copy, 'data')));
    assert.ok(local[`${pinned}-only.txt`] && Object.keys(local).length > 2);
    assert.deepEqual(await snapshotPrefix(s3, bucket, 'site'), local, `the bucket holds exactly ${pinned}'s files`);
    assert.deepEqual(await runDirsOf(other.copy, handle.workflowId), [], `${otherId} did none of the run's data work`);
    const scheduled = (await scheduledActivities(handle)).filter((a) => dataActivities.has(a.activity));
    for (const name of ['checkS3Target', 'syncS3Prefix', 'verifyS3Prefix']) assert.ok(scheduled.some((a) => a.activity === name), `${name} was scheduled`);
    assert.deepEqual(scheduled.filter((a) => a.taskQueue !== `${taskQueue}@${pinned}`), [], `data work scheduled off ${pinned}'s queue`);
    assert.equal((await fx.control.ledger()).alive, 0, 'no Transfer server for an S3 target');
  } finally {
    for (const { worker } of hosts.values()) await worker.kill().catch(() => undefined);
    await handle.terminate('test cleanup').catch(() => undefined);
    s3.destroy();
    await rm(path.dirname(copyA), { recursive: true, force: true });
    await rm(site.dir, { recursive: true, force: true });
  }
});
