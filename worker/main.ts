import { NativeConnection } from '@temporalio/worker';
import { createRunbookWorker } from './create-worker.js';
import { temporalSettings } from './settings.js';

async function run(): Promise<void> {
  const settings = temporalSettings();
  const connection = await NativeConnection.connect({ address: settings.address });
  try {
    const worker = await createRunbookWorker({ connection, namespace: settings.namespace, taskQueue: settings.taskQueue });
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
