import { Client, Connection } from '@temporalio/client';
import { withDataConverter } from '../codec/data-converter.js';
import { temporalSettings, type TemporalSettings } from '../worker/settings.js';

export interface Connected {
  client: Client;
  settings: TemporalSettings;
  close: () => Promise<void>;
}

export async function connect(): Promise<Connected> {
  const settings = temporalSettings();
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: settings.address, connectTimeout: '5 seconds' });
  } catch (err) {
    throw new Error(
      `Cannot reach the Temporal server at ${settings.address} (${(err as Error).message}): start one ` +
        `(npm run demo, or "temporal server start-dev") or set TEMPORAL_ADDRESS.`,
      { cause: err },
    );
  }
  return {
    // The same codec as the worker's (when a key is set), so the CLI reads and writes the same payloads.
    client: new Client({ connection, namespace: settings.namespace, ...withDataConverter() }),
    settings,
    close: () => connection.close(),
  };
}
