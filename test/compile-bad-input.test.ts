import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { makeSampleSite, repoRoot } from './helpers/sample-site.js';
import { uniqueTaskQueue, startServerWithWorker } from './helpers/temporal-env.js';
import { suiteHooks } from './helpers/suite-hooks.js';

let env: TestWorkflowEnvironment;
const taskQueue = uniqueTaskQueue('bad-input');
suiteHooks(() => startServerWithWorker(taskQueue), (server) => (env = server.env));

async function failureOf(input: unknown): Promise<{ failure: ApplicationFailure; handle: WorkflowHandle }> {
  const handle = await env.client.workflow.start('compileWorkflow', { taskQueue, workflowId: `compile-input-${Date.now()}-${Math.random()}`, args: [input] });
  const err = await handle.result().then(
    () => assert.fail('the compile must fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowFailedError);
  let cause: unknown = err.cause;
  while (cause instanceof Error && !(cause instanceof ApplicationFailure)) cause = cause.cause;
  assert.ok(cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err.cause)}`);
  assert.equal(cause.nonRetryable, true);
  return { failure: cause, handle };
}

async function scheduledActivities(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  // hostTaskQueue only picks the host that will hold the run's data; it touches nothing.
  return (history.events ?? [])
    .flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []))
    .filter((name) => name !== 'hostTaskQueue');
}

test('an unknown input field (a typo typed into the UI) fails at once and runs nothing', async () => {
  const { failure, handle } = await failureOf({ skipFigure: true });
  assert.equal(failure.type, 'InvalidInput');
  assert.match(failure.message, /unknown key "skipFigure"/);
  assert.deepEqual(await scheduledActivities(handle), []);
});

test('a wrongly typed input field names the field', async () => {
  const { failure } = await failureOf({ steps: 'expression' });
  assert.match(failure.message, /field "steps" must be a list of step names/);
});

test('an unknown step name fails before any step runs and lists the known ones', async () => {
  const site = await makeSampleSite();
  const { failure, handle } = await failureOf({ configPath: site.configPath, steps: ['expresion'] });
  assert.equal(failure.type, 'InvalidInput');
  assert.match(failure.message, /unknown step "expresion": use one of "expression", "interactions"/);
  assert.deepEqual(await scheduledActivities(handle), ['loadSiteConfig']);
  await assert.rejects(access(site.auditLog), 'no compile ran');
  await rm(site.dir, { recursive: true, force: true });
});

test('a compile command written as a shell string fails naming the field and the fix', async () => {
  const site = await makeSampleSite({ edit: (config) => ((config.compile.steps[0] as Record<string, unknown>).command = 'python viz/data.py') });
  const { failure, handle } = await failureOf({ configPath: site.configPath });
  assert.equal(failure.type, 'InvalidConfig');
  assert.match(failure.message, /compile\.steps\[0\]\.command must be an argv array such as \["python", "viz\/data\.py"\]/);
  assert.deepEqual(await scheduledActivities(handle), ['loadSiteConfig']);
  await rm(site.dir, { recursive: true, force: true });
});

test('a missing config file says how to point at one', async () => {
  const { failure } = await failureOf({ configPath: '/nonexistent/runbook.config.json' });
  assert.equal(failure.type, 'InvalidConfig');
  assert.match(failure.message, /does not exist: pass --config FILE or set RUNBOOK_CONFIG/);
});

const run = promisify(execFile);
async function cli(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'client', 'start-workflow.ts'), ...args], {
      cwd: repoRoot,
      // An address nobody listens on: bad input must be refused before any connection.
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('the CLI refuses bad arguments, bad input and a bad config with one sentence and exit code 2', async () => {
  const site = await makeSampleSite({ edit: (config) => ((config as Record<string, unknown>).aws = { region: 'us-middle-7' }) });
  const bad = path.join(site.dir, 'broken.json');
  await writeFile(bad, '{ "site": "x", ');
  const cases: [string[], RegExp][] = [
    [['deploi'], /unknown workflow "deploi": use one of .*compile/],
    [[], /name exactly one workflow to start/],
    [['compile', '--bogus'], /Unknown option '--bogus'/],
    [['compile', '--input', '{"stepz":[]}'], /unknown key "stepz"/],
    [['compile', '--input', 'not json'], /--input is not valid JSON/],
    [['compile', '--config', bad], /is not valid JSON/],
    [['compile', '--config', site.configPath], /aws\.region must be an AWS region such as "us-east-1"/],
  ];
  for (const [args, expected] of cases) {
    const { code, stderr } = await cli(args);
    assert.equal(code, 2, `exit code for ${args.join(' ')}: ${stderr}`);
    assert.match(stderr, expected);
    assert.equal(stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${stderr}`);
  }
  await rm(site.dir, { recursive: true, force: true });
});
