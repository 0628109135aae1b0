import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { withDataConverter } from '../codec/data-converter.js';
import { servedSites } from '../config/sites.js';
import { createRunbookWorker } from './create-worker.js';
import { ensureJanitorSchedules } from './janitor-schedules.js';
import { temporalSettings } from './settings.js';
import { prebuiltWorkflowBundle } from './workflow-bundle.js';

async function run(): Promise<void> {
  const settings = temporalSettings();
  // Before connecting: a compiled worker without its bundle stops here, saying to build.
  const workflowBundle = await prebuiltWorkflowBundle();
  const connection = await NativeConnection.connect({ address: settings.address });
  try {
    // Before anything else: a bad site list stops the worker here, naming the field.
    const sites = await servedSites();
    const client = new Client({ connection, namespace: settings.namespace, ...withDataConverter() });
    for (const janitor of await ensureJanitorSchedules(client, settings.taskQueue, sites)) {
      console.log(
        janitor.outcome === 'skipped'
          ? `janitor schedule for "${janitor.site}" not needed: ${janitor.why ?? ''}`
          : `janitor schedule ${janitor.scheduleId} ${janitor.outcome}: every ${janitor.every ?? '?'}`,
      );
    }
    if (sites.length === 0) console.log('serving no site of its own (no RUNBOOK_SITES, no config at RUNBOOK_CONFIG): runs must name a configPath');
    console.log(workflowBundle ? `workflows from the prebuilt bundle ${workflowBundle.codePath}` : 'bundling the workflows from their sources');
    const worker = await createRunbookWorker({ connection, namespace: settings.namespace, taskQueue: settings.taskQueue, workflowBundle });
    // The SDK installs SIGINT/SIGTERM handlers that call worker.shutdown(): running activities
    // see the cancellation, long processes are left running for the next worker to adopt.
    if (worker.heldPatches.length > 0) console.log(`holding workflow changes ${worker.heldPatches.join(', ')} (RUNBOOK_HOLD_PATCHES): runs that have not taken them keep the previous build's path`);
    console.log(
      `worker ready: task queue "${settings.taskQueue}" and this host's "${worker.hostTaskQueue}" (RUNBOOK_HOST_ID ${worker.hostId}), namespace "${settings.namespace}", server ${settings.address} (pid ${process.pid})`,
    );
    await worker.run();
    console.log('worker stopped');
  } finally {
    await connection.close();
  }
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
