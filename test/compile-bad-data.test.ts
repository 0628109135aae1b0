import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { test } from 'node:test';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { compileWorkflow } from '../workflows/compile.js';
import { makeSampleSite } from './helpers/sample-site.js';
import { uniqueTaskQueue, startServerWithWorker } from './helpers/temporal-env.js';
import { suiteHooks } from './helpers/suite-hooks.js';

let env: TestWorkflowEnvironment;
const taskQueue = uniqueTaskQueue('bad-data');
suiteHooks(() => startServerWithWorker(taskQueue), (server) => (env = server.env));

/** A site whose only compile step runs `script` (Node, ESM) in the site dir. */
async function siteWritingWith(script: string) {
  return makeSampleSite({
    edit: (config) => {
      (config.compile as Record<string, unknown>).steps = [{ name: 'write', command: ['node', '--input-type=module', '-e', script] }];
      (config as Record<string, unknown>).figures = [];
    },
  });
}

async function expectApplicationFailure(configPath: string): Promise<ApplicationFailure> {
  const err = await env.client.workflow
    .execute(compileWorkflow, { taskQueue, workflowId: `compile-bad-${Date.now()}`, args: [{ configPath }] })
    .then(
      () => assert.fail('the compile must fail'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof WorkflowFailedError, String(err));
  assert.ok(err.cause instanceof ActivityFailure, String(err.cause));
  assert.ok(err.cause.cause instanceof ApplicationFailure, String(err.cause.cause));
  assert.equal(err.cause.cause.nonRetryable, true);
  return err.cause.cause;
}

const mkdir = `import { mkdirSync, writeFileSync } from 'node:fs'; mkdirSync('data/compiled/part', { recursive: true });`;
const arrow = `import { tableFromArrays, tableToIPC } from 'apache-arrow';`;
const good = `writeFileSync('data/compiled/part/good.feather', tableToIPC(tableFromArrays({ a: Int32Array.from([1, 2]) }), 'file'));`;

test('a corrupt feather file fails the compile, naming the file', async () => {
  const site = await siteWritingWith(`${mkdir} ${arrow} ${good} writeFileSync('data/compiled/part/broken.feather', Buffer.from('ARROW1\\0\\0this is not arrow'));`);
  const failure = await expectApplicationFailure(site.configPath);
  assert.equal(failure.type, 'CorruptData');
  assert.match(failure.message, /part\/broken\.feather cannot be read as Feather/);
  await rm(site.dir, { recursive: true, force: true });
});

test('a 0-byte feather file fails the compile, naming the file', async () => {
  const site = await siteWritingWith(`${mkdir} ${arrow} ${good} writeFileSync('data/compiled/part/empty.feather', '');`);
  const failure = await expectApplicationFailure(site.configPath);
  assert.equal(failure.type, 'CorruptData');
  assert.match(failure.message, /part\/empty\.feather is empty \(0 bytes\)/);
  await rm(site.dir, { recursive: true, force: true });
});

test('a feather file with a schema but no rows fails the compile, naming the file', async () => {
  const site = await siteWritingWith(`${mkdir} ${arrow} ${good} writeFileSync('data/compiled/part/norows.feather', tableToIPC(tableFromArrays({ a: new Int32Array(0) }), 'file'));`);
  const failure = await expectApplicationFailure(site.configPath);
  assert.equal(failure.type, 'CorruptData');
  assert.match(failure.message, /part\/norows\.feather has no rows/);
  await rm(site.dir, { recursive: true, force: true });
});

test('a step exiting with a code configured as non-retryable fails at once with the log tail', async () => {
  const site = await makeSampleSite({
    edit: (config) => {
      config.compile.steps[0]!.env = { ...config.compile.steps[0]!.env, SAMPLE_FAIL_AT: '2:2' };
    },
  });
  const failure = await expectApplicationFailure(site.configPath);
  assert.equal(failure.type, 'StepFailed');
  assert.match(failure.message, /exited with code 2/);
  assert.match(failure.message, /error: unit 2 of expression failed/);
  await rm(site.dir, { recursive: true, force: true });
});
