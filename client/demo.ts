import { createServer } from 'node:net';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { startCodecServer } from '../codec/codec-server.js';
import { withDataConverter } from '../codec/data-converter.js';
import { EncryptionCodec } from '../codec/encryption-codec.js';
import { codecKeysFromEnv } from '../codec/keys.js';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { simControl, startSim } from '../sim/index.js';
import { createAwsClientFactory } from '../activities/aws/clients.js';
import { createRunbookWorker } from '../worker/create-worker.js';
import { temporalSettings } from '../worker/settings.js';
import { decideDeployUpdate } from '../workflows/deploy-status.js';
import { releaseWorkflow, type ReleaseResult } from '../workflows/release.js';
import { runbookSearchAttributes } from '../workflows/search-attributes.js';
import { parseCli, runMain } from './args.js';
import { registerSearchAttributes } from './register-search-attributes.js';
import { cancelOpenRuns, terminateLeftoverRuns } from './demo-playground.js';
import { startDemoNotify } from './demo-notify.js';
import { demoSites } from './demo-sites/index.js';
import { InputError } from '../config/errors.js';
import { followWorkflow } from './follow.js';
import { printOutcome } from './print-outcome.js';
import { formatDuration, readStatus } from './progress-view.js';
import { servedSites } from '../config/sites.js';
import { resolveTemporalCli, temporalCacheDir } from './temporal-cli.js';
import { ensureJanitorSchedules } from '../worker/janitor-schedules.js';

const USAGE = `npm run demo -- [--site ${Object.keys(demoSites).join('|')}] [--serve] [--manual-approve] [--json] [--port 7233] [--units N] [--unit-ms MS]`;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => server.close(() => resolve(true)))
      .listen(port, '127.0.0.1');
  });
}

/** Approves the deploy a few seconds after it asks, as a person watching the demo would. */
async function approveWhenAsked(client: Client, address: string, workflowId: string, manual: boolean, say: (line: string) => void, done: () => boolean): Promise<void> {
  const handle = client.workflow.getHandle(workflowId);
  while (!done()) {
    const status = await readStatus(handle, client);
    const approval = status?.approval as { waiting?: boolean } | undefined;
    if (approval?.waiting) {
      if (manual) {
        say(`\nthe deploy waits for you: TEMPORAL_ADDRESS=${address} npm run approve -- ${workflowId}   (or Signal "approveDeploy" with {"by":"you"} in the UI)`);
        return;
      }
      say('\nthe deploy asks for approval; approving in 3 s as "demo" (use --manual-approve to do it yourself)');
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await handle.executeUpdate(decideDeployUpdate, { args: [{ decision: 'approve', by: 'demo', note: 'approved by npm run demo' }] });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * The main job on embedded defaults: a Temporal dev server with its UI (history kept under the
 * cache dir), the local AWS sim, a worker, and a whole release of the sample site: compile,
 * figures, sync through a Transfer server that is then deleted, image push, approval, deploy.
 */
async function main(): Promise<number> {
  const { values } = parseCli(
    process.argv.slice(2),
    {
      json: { type: 'boolean', default: false },
      serve: { type: 'boolean', default: false },
      'manual-approve': { type: 'boolean', default: false },
      port: { type: 'string', default: '7233' },
      units: { type: 'string', default: '8' },
      'unit-ms': { type: 'string', default: '800' },
      site: { type: 'string', default: 'sample-site' },
    },
    USAGE,
  );
  const site = Object.hasOwn(demoSites, values.site) ? demoSites[values.site] : undefined;
  if (!site) {
    const names = Object.entries(demoSites).map(([name, s]) => `${name} (${name === s.name ? s.summary : `the ${s.name} demo`})`).join('; ');
    throw new InputError('InvalidArgument', '--site', `--site "${values.site}" is not an example site: use one of ${names}.`);
  }
  const say = values.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  // The demo decides what Ctrl-C does (cancel, let teardowns run, then stop), not the worker.
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });

  const binary = await resolveTemporalCli((line) => say(line));
  let port = Number(values.port);
  if (!(await portFree(port)) || !(await portFree(port + 1000))) {
    say(`port ${port} or ${port + 1000} is taken; using free ones`);
    port = 0;
  }
  // Kept between runs (the UI shows earlier demos); RUNBOOK_DEMO_DIR moves it (the tests do).
  const demoDir = process.env.RUNBOOK_DEMO_DIR ?? path.join(temporalCacheDir(), 'demo');
  await mkdir(demoDir, { recursive: true });
  // With a codec key set, the demo encrypts like the worker and CLI do, and the UI decodes
  // through a codec server of its own.
  const keys = codecKeysFromEnv();
  const codecServer = keys ? await startCodecServer({ codec: new EncryptionCodec(keys), port: 0, origins: [`http://127.0.0.1:${port ? port + 1000 : 8233}`, 'http://localhost:8233'] }) : undefined;
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: binary },
      ip: '127.0.0.1',
      ...(port ? { port, uiPort: port + 1000 } : {}),
      ui: true,
      dbFilename: path.join(demoDir, 'temporal.db'),
      searchAttributes: runbookSearchAttributes,
      ...(codecServer ? { extraArgs: ['--ui-codec-endpoint', codecServer.url] } : {}),
    },
  });
  const client = new Client({ connection: env.connection, namespace: temporalSettings().namespace, ...withDataConverter() });
  if (codecServer) say(`payloads encrypted with key ${keys?.current.id}; the UI decodes them through ${codecServer.url}`);
  await registerSearchAttributes(env.connection, temporalSettings().namespace);
  const uiUrl = `http://127.0.0.1:${Number(env.address.split(':')[1]) + 1000}`;
  const settings = { ...temporalSettings(), address: env.address };
  say(`Temporal dev server ${env.address}   UI ${uiUrl}`);

  const simState = path.join(demoDir, 'sim-state');
  await rm(simState, { recursive: true, force: true });
  const sim = await startSim({ stateDir: simState, transferStartSeconds: 2, beanstalkUpdateSeconds: 3 });
  await site.seed(sim);
  await rm(path.join(demoDir, 'state'), { recursive: true, force: true });
  await rm(path.join(demoDir, site.name), { recursive: true, force: true });
  const notify = await startDemoNotify(sim, say);
  const configPath = await site.writeConfig(sim, demoDir, { units: Number(values.units), unitMs: Number(values['unit-ms']), notify: notify.section });
  say(`local AWS sim ${sim.endpoint}   SFTP ${sim.sftpHost}:${sim.sftpPort}   config ${configPath}`);
  // The worker's own config: a release started from the UI with {} runs on the demo's site.
  process.env.RUNBOOK_CONFIG = configPath;

  say(`notifications: a local Slack-style webhook (printed as [slack]) and the SNS topic ${notify.topicArn}`);
  const worker = await createRunbookWorker({ connection: env.nativeConnection, namespace: settings.namespace, taskQueue: settings.taskQueue, deps: { aws: createAwsClientFactory(), temporalUiUrl: uiUrl } });
  // The demo's worker serves the demo site, and ensures its janitor schedule as `npm run worker` does.
  for (const janitor of await ensureJanitorSchedules(client, settings.taskQueue, await servedSites())) {
    say(`janitor schedule ${janitor.scheduleId}: every ${janitor.every ?? '?'} (Schedules tab in the UI)`);
  }

  const workflowId = `release-${site.name}`;
  // Runs left by a demo that was killed outright have no sim any more: end them first.
  const leftovers = await terminateLeftoverRuns(client);
  if (leftovers.length) say(`ended ${leftovers.length} run(s) left over from an earlier demo: ${leftovers.join(', ')}`);

  let finished = false;
  let interrupted = false;
  let stopServing: () => void = () => undefined;
  const serving = new Promise<void>((resolve) => (stopServing = resolve));
  const onSignal = (): void => {
    // A second Ctrl-C does not wait for teardowns.
    if (interrupted) process.exit(130);
    interrupted = true;
    if (finished) {
      stopServing();
      return;
    }
    say('\ninterrupted: cancelling the release (its teardown still runs), then stopping everything…');
    void client.workflow.getHandle(workflowId).cancel().catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    return await worker.runUntil(async () => {
      const handle = await client.workflow.start(releaseWorkflow, { taskQueue: settings.taskQueue, workflowId, args: [{ ...site.releaseInput, configPath }] });
      say(`started releaseWorkflow ${workflowId}${site.name === 'sample-site' ? '' : ` with ${JSON.stringify(site.releaseInput)}: ${site.summary}`}`);
      say(`  watch it: ${uiUrl}/namespaces/${settings.namespace}/workflows/${workflowId}`);
      const approver = approveWhenAsked(client, env.address, workflowId, values['manual-approve'], say, () => finished);
      const outcome = await followWorkflow(client, handle, { json: true });
      finished = true;
      await approver.catch(() => undefined);
      const ledger = await simControl(sim.controlUrl).ledger();
      const result = outcome.result as ReleaseResult | undefined;
      const stages = (result?.stages ?? []).map((s) => ({ stage: s.stage, durationMs: s.durationMs, result: s.result === 'ok' ? 'ok' : s.result }));
      if (!result) {
        const status = outcome.lastStatus?.stages as { stage: string; state: string; durationMs: number | null }[] | undefined;
        for (const s of status ?? []) stages.push({ stage: s.stage as never, durationMs: s.durationMs ?? 0, result: s.state === 'completed' ? 'ok' : s.state === 'pending' ? 'skipped' : ('failed' as never) });
      }
      const emailed = (await simControl(sim.controlUrl).snsPublished()).filter((m) => m.topicArn === notify.topicArn);
      const notifications = { sent: result?.notifications?.deliveries.filter((d) => d.state === 'sent').map((d) => `${d.channel}: ${d.event}`) ?? [], failingChannels: result?.notifications?.failingChannels ?? [] };
      // The world, checked the way a person would: what is in the bucket, what the environment runs and serves.
      let world: string[] = [];
      let worldError: string | null = null;
      if (outcome.status === 'COMPLETED') {
        try {
          world = await site.verify(sim, configPath);
        } catch (err) {
          worldError = (err as Error).message;
        }
      }
      let exit: number;
      if (values.json) {
        console.log(JSON.stringify({ workflowId, site: site.name, status: outcome.status, stages, ledger: { alive: ledger.alive, billedSeconds: Math.round(ledger.billedSeconds * 10) / 10 }, notifications, world, worldError }));
        exit = outcome.status === 'COMPLETED' && !worldError ? 0 : 1;
      } else {
        exit = printOutcome(outcome, false);
        if (!result) for (const s of stages) say(`  ${s.stage.padEnd(9)} ${formatDuration(s.durationMs).padStart(8)}  ${s.result}`);
        say(`\n  Transfer servers: ${ledger.servers.length} created, alive=${ledger.alive}, billed ${ledger.billedSeconds.toFixed(1)} server-seconds`);
        say(`\n  Notifications sent: ${notifications.sent.length}${notifications.failingChannels.length ? `; failing channels: ${notifications.failingChannels.join(', ')}` : ''}`);
        for (const m of emailed) say(`    e-mail (SNS) "${m.subject ?? ''}"`);
        if (world.length) say('\n  Checked in the sim:');
        for (const line of world) say(`    ${line}`);
        if (worldError) {
          say(`\n  WORLD CHECK FAILED: ${worldError}`);
          exit = 1;
        }
        say(`  Temporal UI: ${uiUrl}/namespaces/${settings.namespace}/workflows/${workflowId}`);
      }
      if (!values.serve || interrupted) return exit;
      // The release has ended and let go of the site's lock: the playground is free for more runs.
      const playground = { ui: uiUrl, address: env.address, namespace: settings.namespace, taskQueue: settings.taskQueue, configPath, sim: sim.endpoint };
      say(
        `\nserving until Ctrl-C: Temporal UI ${uiUrl}, server ${env.address}, a worker on task queue "${settings.taskQueue}", the sim ${sim.endpoint}.\n` +
          `  Start Workflow in the UI: Workflow Type releaseWorkflow, Task Queue ${settings.taskQueue}, Input ${JSON.stringify(site.releaseInput)}${site.name === 'sample-site' ? ' (or {"stages":["compile","sync","restart"]})' : ''};\n` +
          `  or: TEMPORAL_ADDRESS=${env.address} npm run start-workflow -- release --config ${configPath} --wait`,
      );
      if (values.json) console.log(JSON.stringify({ serving: playground }));
      await serving;
      say('\nstopping: cancelling the runs still open (their teardown runs first), then the worker, the sim and the server…');
      await cancelOpenRuns(client, 20_000);
      return exit;
    });
  } finally {
    await notify.close();
    await sim.close();
    await env.teardown();
    await codecServer?.close();
  }
}

runMain(main);
