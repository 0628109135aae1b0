import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { inRegion, type RunningSim } from '../sim/index.js';
import { deployWorkflow } from '../workflows/deploy.js';
import { bucketKeys, describeEnv, makeDeploySite, SEED_VERSION, simState, startDeploySuite } from './helpers/deploy-env.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { uniqueTaskQueue } from './helpers/temporal-env.js';
import { deployedResult } from './helpers/deploy-outcome.js';

let env: TestWorkflowEnvironment;
let sim: RunningSim;
const taskQueue = uniqueTaskQueue('deploy-preflight');
suiteHooks(() => startDeploySuite(taskQueue), (suite) => ({ env, sim } = suite));

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof WorkflowFailedError, `expected a failed workflow, got ${String(err)}`);
  let current: unknown = err;
  while (current instanceof Error && !(current instanceof ApplicationFailure)) current = current.cause;
  assert.ok(current instanceof ApplicationFailure);
  return current;
}

async function nothingTouched(): Promise<void> {
  const state = await simState(sim);
  assert.deepEqual(await bucketKeys(sim), [], 'the deploy bucket is empty');
  assert.equal(state.docker.images.length, 0, 'no image was built');
  assert.equal(state.ecrPublic.repositories['sample-site']?.images.length, 0, 'nothing was pushed');
  assert.equal((await describeEnv(sim))?.VersionLabel, SEED_VERSION);
}

test('a mistyped environment name fails before anything is built or uploaded, naming the ones that exist', async () => {
  const site = await makeDeploySite(sim, { beanstalk: { environment: 'sample-site-prd' } });
  const failure = await failureOf(env.client.workflow.execute(deployWorkflow, { taskQueue, workflowId: `deploy-typo-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }] }));
  assert.equal(failure.type, 'EnvironmentNotFound');
  assert.match(failure.message, /Environment "sample-site-prd" not found in application "sample-site", which has "sample-site-prod": fix beanstalk.environment/);
  await nothingTouched();
});

test('an environment name Beanstalk would refuse fails as a config error', async () => {
  const site = await makeDeploySite(sim, { beanstalk: { environment: 'prod_site!' } });
  const failure = await failureOf(env.client.workflow.execute(deployWorkflow, { taskQueue, workflowId: `deploy-badname-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }] }));
  assert.equal(failure.type, 'InvalidConfig');
  assert.match(failure.message, /beanstalk\.environment must be 4 to 40 letters, digits or hyphens/);
  await nothingTouched();
});

test('a missing Dockerrun.aws.json fails before anything is built or uploaded', async () => {
  const site = await makeDeploySite(sim);
  await rm(path.join(site.dir, 'Dockerrun.aws.json'));
  const failure = await failureOf(env.client.workflow.execute(deployWorkflow, { taskQueue, workflowId: `deploy-nodockerrun-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }] }));
  assert.equal(failure.type, 'BundleInvalid');
  assert.match(failure.message, /Dockerrun\.aws\.json is missing from the source bundle/);
  await nothingTouched();
});

test('unknown input keys are refused', async () => {
  const site = await makeDeploySite(sim);
  const failure = await failureOf(env.client.workflow.execute(deployWorkflow, { taskQueue, workflowId: `deploy-badinput-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true, skipBiuld: true } as never] }));
  assert.equal(failure.type, 'InvalidInput');
  assert.match(failure.message, /unknown key "skipBiuld"/);
});

test('restartOnly: RestartAppServer, healthy again, smoke-checked, same version', async () => {
  const site = await makeDeploySite(sim);
  const result = await env.client.workflow.execute(deployWorkflow, { taskQueue, workflowId: `deploy-restart-${Date.now()}`, args: [{ configPath: site.configPath, restartOnly: true, autoApprove: true }] });
  assert.equal(result.outcome, 'restarted');
  assert.equal(result.mode, 'restart');
  assert.equal(result.image, null);
  assert.equal(result.finalHealth?.versionLabel, SEED_VERSION);
  assert.equal(result.finalHealth?.color, 'Green');
  assert.equal(result.smoke?.status, 200);
  const events = inRegion(await simState(sim)).eb.events.map((e) => e.message);
  assert.ok(events.includes('restartAppServer completed successfully.'));
});

test('first deploy: creates the application and the environment, waits until Ready and Green', async () => {
  const site = await makeDeploySite(sim, { beanstalk: { application: 'fresh-site', environment: 'fresh-site-prod', envVars: { DATA_DIR: '/app/data' }, instanceType: 't3.small' } });
  const result = await env.client.workflow.execute(deployWorkflow, { taskQueue, workflowId: `deploy-first-${Date.now()}`, args: [{ configPath: site.configPath, autoApprove: true }] });
  assert.equal(result.deployed, true);
  assert.equal(deployedResult(result).environmentCreated, true);
  assert.equal(result.previousVersion, null);
  const live = await describeEnv(sim, 'fresh-site-prod');
  assert.equal(live?.ApplicationName, 'fresh-site');
  assert.equal(live?.VersionLabel, result.versionLabel);
  assert.equal(live?.Health, 'Green');
  assert.equal(live?.SolutionStackName, '64bit Amazon Linux 2023 v4.3.0 running Docker');
  assert.equal(result.smoke?.status, 200);
});
