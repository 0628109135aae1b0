import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec } from './encryption-codec.js';
import { codecKeysFromEnv } from './keys.js';

/**
 * The data converter every process of the runbook uses (worker, CLI, schedules, demo, tests):
 * payloads encrypted when a codec key is configured, the SDK's default otherwise. The same
 * environment must reach all of them, or one side cannot read what the other wrote.
 */
export function runbookDataConverter(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  const keys = codecKeysFromEnv(env);
  return keys ? { payloadCodecs: [new EncryptionCodec(keys)] } : undefined;
}

/** `{ dataConverter }` for Client and Worker options, or nothing when encryption is off. */
export function withDataConverter(env: NodeJS.ProcessEnv = process.env): { dataConverter?: DataConverter } {
  const dataConverter = runbookDataConverter(env);
  return dataConverter ? { dataConverter } : {};
}
