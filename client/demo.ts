import { createServer } from 'node:net';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createRunbookWorker } from '../worker/create-worker.js';
import { temporalSettings } from '../worker/settings.js';
import { compileWorkflow } from '../workflows/compile.js';
import { parseCli, runMain } from './args.js';
import { followWorkflow } from './follow.js';
import { printOutcome } from './print-outcome.js';
import { resolveTemporalCli, temporalCacheDir } from './temporal-cli.js';

const USAGE = 'npm run demo -- [--json] [--port 7233]';
const sampleConfig = fileURLToPath(new URL('../examples/sample-site/runbook.config.json', import.meta.url));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => server.close(() => resolve(true)))
      .listen(port, '127.0.0.1');
  });
}

/**
 * The main job on embedded defaults: a local Temporal dev server with its UI (history kept in a
 * file under the cache dir), a worker, and the sample site's compile, end to end.
 */
async function main(): Promise<number> {
  const { values } = parseCli(process.argv.slice(2), { json: { type: 'boolean', default: false }, port: { type: 'string', default: '7233' } }, USAGE);
  const say = values.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const binary = await resolveTemporalCli((line) => say(line));
  let port = Number(values.port);
  if (!(await portFree(port)) || !(await portFree(port + 1000))) {
    say(`port ${port} or ${port + 1000} is taken; using a free one`);
    port = 0;
  }
  const dbDir = path.join(temporalCacheDir(), 'demo');
  await mkdir(dbDir, { recursive: true });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: binary },
      ip: '127.0.0.1',
      ...(port ? { port, uiPort: port + 1000 } : {}),
      ui: true,
      dbFilename: path.join(dbDir, 'temporal.db'),
    },
  });
  const uiPort = Number(env.address.split(':')[1]) + 1000;
  const settings = { ...temporalSettings(), address: env.address };
  say(`Temporal dev server ${env.address}, UI http://127.0.0.1:${uiPort}`);

  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: settings.namespace, taskQueue: settings.taskQueue });
  const workflowId = `demo-compile-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    say('\ninterrupted: cancelling the run, stopping the worker and the server…');
    void env.client.workflow.getHandle(workflowId).cancel().catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(compileWorkflow, {
        taskQueue: settings.taskQueue,
        workflowId,
        args: [{ configPath: sampleConfig }],
      });
      say(`started compileWorkflow ${workflowId}`);
      say(`  watch it: http://127.0.0.1:${uiPort}/namespaces/${settings.namespace}/workflows/${workflowId}`);
      const outcome = await followWorkflow(env.client, handle, { json: values.json });
      return printOutcome(outcome, values.json);
    });
  } finally {
    await env.teardown();
  }
}

runMain(main);
