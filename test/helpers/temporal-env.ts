import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { resolveTemporalCli } from '../../client/temporal-cli.js';
import { createRunbookWorker, workflowInterceptorModules, workflowsPath, type RunbookWorker } from '../../worker/create-worker.js';
import { runbookSearchAttributes } from '../../workflows/search-attributes.js';

/**
 * A real Temporal dev server for a test file. A missing CLI fails loudly: no test may pass
 * without a server.
 */
export async function startDevServer(opts: { logLevel?: 'WARN' | 'ERROR' } = {}): Promise<TestWorkflowEnvironment> {
  quietRuntime(opts.logLevel ?? 'WARN');
  const path = await resolveTemporalCli();
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path }, ip: '127.0.0.1', searchAttributes: runbookSearchAttributes },
  });
}

export interface TestServer {
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

/** A dev server alone, for files whose tests each start their own workers. */
export async function startServer(): Promise<TestServer> {
  const env = await startDevServer();
  return { env, stop: () => env.teardown() };
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundled once per test file: webpack is the slowest part of starting a worker. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath, workflowInterceptorModules, logger: quietLogger });
  return bundle;
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

export function uniqueTaskQueue(name: string): string {
  return `test-${name}-${randomUUID().slice(0, 8)}`;
}

let runtimeInstalled = false;

/** Worker lifecycle chatter drowns test output; warnings and errors still show (only errors for suites whose every run fails on purpose). */
function quietRuntime(level: 'WARN' | 'ERROR'): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger(level) });
}

export interface PollingWorker {
  worker: RunbookWorker;
  /** Shuts the worker down and waits for it to finish. */
  stop(): Promise<void>;
}

/** An in-process worker polling `taskQueue` on `env`'s server until stopped. */
export async function startPollingWorker(env: TestWorkflowEnvironment, taskQueue: string): Promise<PollingWorker> {
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  const running = worker.run();
  return {
    worker,
    stop: async () => {
      worker.shutdown();
      await running;
    },
  };
}

/** A worker on a fresh task queue named after `name`, for the length of `fn`. */
export async function withWorker<T>(env: TestWorkflowEnvironment, name: string, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = uniqueTaskQueue(name);
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: await workflowBundle() });
  return worker.runUntil(() => fn(taskQueue));
}

export interface TestServerWithWorker {
  env: TestWorkflowEnvironment;
  stop(): Promise<void>;
}

/** A dev server with one in-process worker polling `taskQueue`, for a whole test file. */
export async function startServerWithWorker(taskQueue: string): Promise<TestServerWithWorker> {
  const env = await startDevServer();
  const polling = await startPollingWorker(env, taskQueue);
  return {
    env,
    stop: async () => {
      await polling.stop();
      await env.teardown();
    },
  };
}
