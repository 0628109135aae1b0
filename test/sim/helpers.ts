import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type RunningSim, type StartSimOptions } from '../../sim/index.js';
import { generateEd25519 } from '../../sim/ssh-keys.js';

export const REGION = 'us-east-1';

/** Client options for any @aws-sdk client pointed at the sim. */
export function sdkOptions(sim: RunningSim, extra: { maxAttempts?: number } = {}) {
  return {
    endpoint: sim.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIASIMULATOR', secretAccessKey: 'sim-secret' },
    maxAttempts: extra.maxAttempts ?? 1,
  };
}

/** Fast timings so waiters finish in well under a second. */
export function startFastSim(opts: StartSimOptions = {}): Promise<RunningSim> {
  return startSim({ transferStartSeconds: 0.3, beanstalkUpdateSeconds: 0.3, versionProcessSeconds: 0.2, ...opts });
}

export interface KeyPair { privateKey: string; publicKey: string; privateKeyFile: string; dir: string; cleanup(): void }

/** An ed25519 key in OpenSSH format, written to a 0600 file so OpenSSH's sftp accepts it. */
export function makeKeyPair(): KeyPair {
  const pair = generateEd25519();
  const dir = mkdtempSync(join(tmpdir(), 'sim-key-'));
  const privateKeyFile = join(dir, 'id_ed25519');
  writeFileSync(privateKeyFile, pair.private, { mode: 0o600 });
  return {
    privateKey: pair.private,
    publicKey: pair.public,
    privateKeyFile,
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function expectAwsError(promise: Promise<unknown>, name: string): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof Error) || err.name !== name) {
      throw new Error(`expected ${name}, got ${(err as Error).name}: ${(err as Error).message}`, { cause: err });
    }
    return err;
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}

/** Raw JSON 1.1 call, for requests the SDK would never send (wrong types, unknown ops). */
export async function rawJson(sim: RunningSim, target: string, body: string): Promise<{ status: number; json: Record<string, unknown>; errorType: string | null }> {
  const res = await fetch(sim.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, errorType: res.headers.get('x-amzn-errortype') };
}
