import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DescribeConfigurationSettingsCommand, DescribeEventsCommand, ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ActivityFailure, ApplicationFailure, Client, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startCodecServer, type RunningCodecServer } from '../codec/codec-server.js';
import { runbookDataConverter } from '../codec/data-converter.js';
import { ENCRYPTED_ENCODING, EncryptionCodec } from '../codec/encryption-codec.js';
import { codecKeysFromEnv, newKeyLine } from '../codec/keys.js';
import { compileWorkflow } from '../workflows/compile.js';
import { deployWorkflow } from '../workflows/deploy.js';
import { approveDeploySignal } from '../workflows/deploy-status.js';
import { releaseWorkflow } from '../workflows/release.js';
import { describeEnv } from './helpers/deploy-env.js';
import { waitForStage } from './helpers/deploy-run.js';
import { makeReleaseSite, startReleaseSim, type ReleaseFixture } from './helpers/release-site.js';
import type { SampleSite } from './helpers/sample-site.js';
import { startDevServer, uniqueTaskQueue } from './helpers/temporal-env.js';
import { startWorkerProcess, waitFor, type WorkerProcess } from './helpers/worker-process.js';
import { deployedResult } from './helpers/deploy-outcome.js';

// A canary secret referred to from a compile step's env, a figure's env and the Beanstalk
// environment (as Secrets Manager and SSM references), a whole release on the sim with the
// payload codec on, then every history, payload, log, run dir and the worker's output is
// searched for it. Then a config edit reaches a live environment in one update, and bad
// references fail before anything is built.

const canary = `canary-${randomUUID()}`;
const codecKey = newKeyLine('test-key-1');
const codecEnv = { RUNBOOK_CODEC_KEY: codecKey };
const taskQueue = uniqueTaskQueue('secret-refs');
const ENV_NS = 'aws:elasticbeanstalk:application:environment';
const SECRETS_NS = 'aws:elasticbeanstalk:application:environmentsecrets';

let env: TestWorkflowEnvironment;
let fx: ReleaseFixture;
let worker: WorkerProcess;
let client: Client;
let codecServer: RunningCodecServer;
let site: SampleSite;
const sites: SampleSite[] = [];
const arns: { flask: string; dbPassword: string } = { flask: '', dbPassword: '' };

function sdk(fixture: ReleaseFixture) {
  const common = { endpoint: fixture.sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } };
  return { sm: new SecretsManagerClient(common), ssm: new SSMClient(common), eb: new ElasticBeanstalkClient(common) };
}

/** The parts of a runbook.config.json these tests edit, as plain JSON. */
interface ConfigJson {
  compile: { steps: unknown[] };
  figures: { env?: Record<string, unknown> }[];
  beanstalk: { envVars: Record<string, unknown> };
}

async function editConfig(file: string, edit: (config: ConfigJson) => void): Promise<void> {
  const config = JSON.parse(await readFile(file, 'utf8')) as ConfigJson;
  edit(config);
  await writeFile(file, JSON.stringify(config, null, 2));
}

async function environmentSettings(): Promise<Record<string, string>> {
  const out = await sdk(fx).eb.send(new DescribeConfigurationSettingsCommand({ ApplicationName: 'sample-site', EnvironmentName: 'sample-site-prod' }));
  return Object.fromEntries((out.ConfigurationSettings?.[0]?.OptionSettings ?? []).map((o) => [`${o.Namespace}|${o.OptionName}`, o.Value ?? '']));
}

async function updatesStarted(): Promise<number> {
  const out = await sdk(fx).eb.send(new DescribeEventsCommand({ EnvironmentName: 'sample-site-prod', MaxRecords: 1000 }));
  return (out.Events ?? []).filter((e) => e.Message === 'Environment update is starting.').length;
}

before(async () => {
  [env, fx] = await Promise.all([startDevServer(), startReleaseSim()]);
  const { sm, ssm } = sdk(fx);
  await sm.send(new CreateSecretCommand({ Name: 'sample-site/compile', SecretString: JSON.stringify({ token: canary, other: 'x' }) }));
  await ssm.send(new PutParameterCommand({ Name: '/sample-site/figure-token', Value: canary, Type: 'SecureString' }));
  arns.flask = (await sm.send(new CreateSecretCommand({ Name: 'sample-site/flask', SecretString: canary }))).ARN as string;
  await ssm.send(new PutParameterCommand({ Name: '/sample-site/db-password', Value: canary, Type: 'SecureString' }));
  arns.dbPassword = 'arn:aws:ssm:us-east-1:123456789012:parameter/sample-site/db-password';
  const keys = codecKeysFromEnv(codecEnv);
  assert.ok(keys);
  codecServer = await startCodecServer({ codec: new EncryptionCodec(keys), port: 0, origins: ['http://localhost:8233'] });
  client = new Client({ connection: env.connection, namespace: 'default', dataConverter: runbookDataConverter(codecEnv) });
  worker = await startWorkerProcess({ address: env.address, taskQueue, env: codecEnv });
});

after(async () => {
  await worker?.stop();
  await codecServer?.close();
  await env?.teardown();
  await fx?.close();
  await Promise.all(sites.map((s) => rm(s.dir, { recursive: true, force: true })));
});

test('a release whose compile, figure and Beanstalk env refer to a canary secret: the subprocess sees it, Beanstalk gets the ARN', async () => {
  site = await makeReleaseSite(fx);
  sites.push(site);
  await editConfig(site.configPath, (config) => {
    // A step that proves it saw the value without writing it anywhere: its sha256 only.
    config.compile.steps.push({
      name: 'canary-proof',
      command: ['node', '-e', 'require("fs").writeFileSync("canary-proof.sha256", require("crypto").createHash("sha256").update(process.env.CANARY_TOKEN ?? "").digest("hex"))'],
      env: { CANARY_TOKEN: { secret: 'sample-site/compile', key: 'token' } },
    });
    config.figures[0]!.env = { ...config.figures[0]!.env, FIGURE_TOKEN: { parameter: '/sample-site/figure-token' } };
    config.beanstalk.envVars = {
      DATA_DIR: '/app/data',
      FLASK_SECRET_KEY: { secret: 'sample-site/flask' },
      DB_PASSWORD: { parameter: arns.dbPassword },
      API_KEY_ID: { plain: 'public-id-123' },
    };
  });
  const release = await client.workflow.execute(releaseWorkflow, { taskQueue, workflowId: `secret-refs-release-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }] });
  assert.deepEqual(release.stages.map((s) => s.result), ['ok', 'ok', 'ok', 'ok', 'ok']);
  assert.equal(deployedResult(release.deploy).settings?.summary, 'will set API_KEY_ID, DATA_DIR, add secret DB_PASSWORD, FLASK_SECRET_KEY, change instance type t3.micro → t3.small');

  const proof = await readFile(path.join(site.dir, 'canary-proof.sha256'), 'utf8');
  assert.equal(proof, createHash('sha256').update(canary).digest('hex'), 'the compile subprocess saw the resolved value');

  const settings = await environmentSettings();
  assert.equal(settings[`${SECRETS_NS}|FLASK_SECRET_KEY`], arns.flask, 'a secret by name reaches Beanstalk as its ARN');
  assert.equal(settings[`${SECRETS_NS}|DB_PASSWORD`], arns.dbPassword);
  assert.equal(settings[`${ENV_NS}|DATA_DIR`], '/app/data');
  assert.equal(settings[`${ENV_NS}|API_KEY_ID`], 'public-id-123', 'the deliberately plain kind goes in as a value');
  assert.ok(!Object.values(settings).includes(canary), 'no secret value in the environment settings');
});

test('a config edit of one env var on a live environment: the gate shows the difference, one update applies it with the version', async () => {
  await editConfig(site.configPath, (config) => {
    config.beanstalk.envVars.DATA_DIR = '/app/data-v2';
  });
  const before = await updatesStarted();
  const handle = await client.workflow.start(deployWorkflow, { taskQueue, workflowId: `secret-refs-edit-${Date.now()}`, args: [{ configPath: site.configPath, skipBuild: true }] });
  const gate = await waitForStage(handle, 'awaiting-approval', 90_000);
  assert.equal(gate.approval.deploys?.settings, 'will set DATA_DIR');
  await handle.signal(approveDeploySignal, { by: 'secret-refs-test' });
  const result = await handle.result();
  assert.equal(result.outcome, 'deployed');
  assert.deepEqual(result.settings?.set, ['DATA_DIR']);
  const settings = await environmentSettings();
  assert.equal(settings[`${ENV_NS}|DATA_DIR`], '/app/data-v2');
  assert.equal((await describeEnv(fx.sim))?.VersionLabel, result.versionLabel);
  assert.equal((await updatesStarted()) - before, 1, 'the version and the settings went in one UpdateEnvironment');
});

/** Every payload (`{metadata, data}`) in a history, with whether it sits under search attributes. */
function payloadsIn(value: unknown, out: { payload: { metadata?: Record<string, Uint8Array>; data?: Uint8Array }; indexed: boolean }[] = [], indexed = false): typeof out {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array) return out;
  if (Array.isArray(value)) {
    for (const v of value) payloadsIn(v, out, indexed);
    return out;
  }
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && record.metadata && typeof record.metadata === 'object') {
    out.push({ payload: record as { metadata?: Record<string, Uint8Array>; data?: Uint8Array }, indexed });
    return out;
  }
  // Search attributes are indexed in the clear; the SDK's codec covers neither headers (they carry
  // only the run's host pin: a host id and a queue name) nor the patch markers the SDK writes itself
  // (a patch id). All are still scanned for the canary as raw text.
  const clear = ['searchAttributes', 'indexedFields', 'header', 'markerRecordedEventAttributes'];
  for (const [key, v] of Object.entries(record)) payloadsIn(v, out, indexed || clear.includes(key));
  return out;
}

function allText(value: unknown, out: string[] = []): string[] {
  if (value instanceof Uint8Array) out.push(Buffer.from(value).toString('utf8'));
  else if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) allText(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) allText(v, out);
  return out;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, entry.name);
    if (entry.name === 'node_modules') continue;
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

test('the canary is nowhere: no history (payloads decoded by the codec server), log, run dir or worker output holds it; no payload reads without the key', async () => {
  const runs = await waitFor('the release, its three children and the edit deploy to be listed', async () => {
    const listed = [];
    // Listing decodes memos, which the codec encrypts too: only a client with the key can list.
    for await (const w of client.workflow.list()) listed.push(w);
    return listed.length >= 5 ? listed : undefined;
  }, 30_000, 500);
  let payloadCount = 0;
  const decodedTexts: string[] = [];
  for (const run of runs) {
    // The raw history, as anyone with access to the server sees it: no codec.
    const history = await env.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    assert.ok(!allText(history).join('\n').includes(canary), `canary in the raw history of ${run.type} ${run.workflowId}`);
    const payloads = payloadsIn(history).filter((p) => !p.indexed).map((p) => p.payload);
    for (const p of payloads) {
      assert.equal(Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString(), ENCRYPTED_ENCODING, `an unencrypted payload in ${run.type}`);
      assert.ok(!Buffer.from(p.data ?? new Uint8Array()).includes('sample-site'), `a payload of ${run.type} reads without the key`);
    }
    payloadCount += payloads.length;
    // The codec server, as the UI would call it, decodes every one of them.
    const body = { payloads: payloads.map((p) => ({ metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(p.data ?? new Uint8Array()).toString('base64') })) };
    const res = await fetch(`${codecServer.url}/default/decode`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: 'http://localhost:8233' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:8233');
    const decoded = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    assert.equal(decoded.payloads.length, payloads.length);
    for (const p of decoded.payloads) {
      assert.match(Buffer.from(p.metadata.encoding ?? '', 'base64').toString(), /^(json\/plain|binary\/null)$/);
      decodedTexts.push(Buffer.from(p.data, 'base64').toString('utf8'));
    }
  }
  const decoded = decodedTexts.join('\n');
  assert.ok(payloadCount > 50, `only ${payloadCount} payloads: the scan is broken`);
  assert.ok(decoded.includes('"configPath"') && decoded.includes('will set DATA_DIR'), 'the decoded payloads are the real inputs and results');
  assert.ok(!decoded.includes(canary), 'canary in a decoded payload');

  const files = await filesUnder(site.dir);
  const logs = files.filter((f) => f.endsWith('.log'));
  assert.ok(logs.length >= 5, `only ${logs.length} log files under the site dir: the scan is broken`);
  for (const file of files) assert.ok(!(await readFile(file)).includes(canary), `canary in ${path.relative(site.dir, file)}`);
  assert.ok(worker.output().includes('worker ready'), 'the worker output was captured');
  assert.ok(!worker.output().includes(canary), "canary in the worker's output");
  console.log(`canary scan: ${runs.length} runs, ${payloadCount} payloads decoded, ${files.length} files (${logs.length} logs), worker output ${worker.output().length} chars: 0 found`);
});

test('a reference to a secret that does not exist fails before anything is built or provisioned, naming the field and the secret', async () => {
  const bad = await makeReleaseSite(fx);
  sites.push(bad);
  await editConfig(bad.configPath, (config) => {
    config.figures[1]!.env = { ...config.figures[1]!.env, MISSING_TOKEN: { secret: 'sample-site/does-not-exist' } };
  });
  const ledger = await fx.control.ledger();
  const err = await client.workflow
    .execute(releaseWorkflow, { taskQueue, workflowId: `secret-refs-missing-${Date.now()}`, args: [{ configPath: bad.configPath, autoApprove: true }] })
    .then(() => assert.fail('the release ran'), (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError);
  assert.ok(err.cause instanceof ActivityFailure && err.cause.activityType === 'loadSiteConfig', String(err.cause));
  const failure = err.cause.cause;
  assert.ok(failure instanceof ApplicationFailure);
  assert.equal(failure.type, 'InvalidConfig');
  assert.equal(failure.message, 'figures[1].env.MISSING_TOKEN refers to the Secrets Manager secret "sample-site/does-not-exist", which does not exist in this account and region: create it or fix the reference.');
  assert.equal((await fx.control.ledger()).servers.length, ledger.servers.length, 'no Transfer server was created');
  assert.deepEqual(await filesUnder(path.join(bad.dir, '.runbook')), [], 'nothing ran: no run dir, no log');

  // A plain value that looks like a secret is refused by the worker at load, with the fix.
  await editConfig(bad.configPath, (config) => {
    config.figures[1]!.env = { PYTHONPATH: '.' };
    config.beanstalk.envVars = { FLASK_SECRET_KEY: 'dev-value' };
  });
  const plain = await client.workflow
    .execute(compileWorkflow, { taskQueue, workflowId: `secret-refs-plain-${Date.now()}`, args: [{ configPath: bad.configPath }] })
    .then(() => assert.fail('the compile ran'), (e: unknown) => e);
  assert.ok(plain instanceof WorkflowFailedError && plain.cause?.cause instanceof ApplicationFailure);
  assert.match(plain.cause.cause.message, /beanstalk\.envVars\.FLASK_SECRET_KEY is a plain value and its name looks like a secret's, so it would be stored in workflow history: write it as a reference, such as \{"secret": /);
  assert.ok(!plain.cause.cause.message.includes('dev-value'));
});

test('a script that prints its secret: the failure, heartbeats and history show *** in its place', async () => {
  const leaky = await makeReleaseSite(fx);
  sites.push(leaky);
  await editConfig(leaky.configPath, (config) => {
    config.compile.steps.push({
      name: 'leaky',
      command: ['node', '-e', 'console.log("connecting with token " + process.env.LEAKY_TOKEN); process.exit(2)'],
      env: { LEAKY_TOKEN: { secret: 'sample-site/compile', key: 'token' } },
      nonRetryableExitCodes: [2],
    });
  });
  const workflowId = `secret-refs-leaky-${Date.now()}`;
  const err = await client.workflow
    .execute(compileWorkflow, { taskQueue, workflowId, args: [{ configPath: leaky.configPath, steps: ['leaky'] }] })
    .then(() => assert.fail('the step passed'), (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError && err.cause?.cause instanceof ApplicationFailure);
  assert.equal(err.cause.cause.type, 'StepFailed');
  assert.match(err.cause.cause.message, /connecting with token \*\*\*/);
  assert.ok(!err.cause.cause.message.includes(canary));
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const payloads = payloadsIn(history).filter((p) => !p.indexed).map((p) => p.payload);
  const decoded = await runbookDataConverter(codecEnv)!.payloadCodecs![0]!.decode(payloads);
  const text = [...allText(history), ...decoded.map((p) => Buffer.from(p.data ?? new Uint8Array()).toString())].join('\n');
  assert.ok(text.includes('connecting with token ***'), 'the masked line is in the history');
  assert.ok(!text.includes(canary), 'canary in the history of a run whose script printed it');
});
