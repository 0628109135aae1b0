import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { after, before } from 'node:test';
import { SignatureV4 } from '@smithy/signature-v4';
import yazl from 'yazl';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSim, type RunningSim, type StartSimOptions } from '../../sim/index.js';
import { generateEd25519 } from '../../sim/ssh-keys.js';
import { Sha256 } from '../../sim/auth/sigv4.js';

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

/**
 * A fast sim for one describe block: started before its tests, closed after them together with
 * the SDK clients `setup` made (and returned) for it.
 */
export function useFastSim(setup: (sim: RunningSim) => Promise<{ destroy(): void }[]> | { destroy(): void }[], opts: StartSimOptions = {}): void {
  let sim: RunningSim | undefined;
  let clients: { destroy(): void }[] = [];
  before(async () => {
    sim = await startFastSim(opts);
    clients = await setup(sim);
  });
  after(async () => {
    for (const client of clients) client.destroy();
    await sim?.close();
  });
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

/**
 * A POST the SDK would never send (wrong types, unknown operations), signed as the SDK signs, so
 * the sim's signature check lets it through to the part under test.
 */
export async function signedPost(sim: RunningSim, service: string, headers: Record<string, string>, body: string, credentials = sdkOptions(sim).credentials): Promise<Response> {
  const url = new URL(sim.endpoint);
  const signer = new SignatureV4({ credentials, region: REGION, service, sha256: Sha256 });
  const signed = await signer.sign({
    method: 'POST', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: '/', query: {},
    headers: { host: url.host, ...headers }, body,
  });
  return fetch(sim.endpoint, { method: 'POST', headers: signed.headers, body });
}

/** Raw JSON 1.1 call, for requests the SDK would never send (wrong types, unknown ops). */
export async function rawJson(sim: RunningSim, target: string, body: string): Promise<{ status: number; json: Record<string, unknown>; errorType: string | null }> {
  const res = await signedPost(sim, 'transfer', { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target }, body);
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, errorType: res.headers.get('x-amzn-errortype') };
}

/** A zip of the given files (name → text), as a source bundle is. */
export function zip(files: Record<string, string>): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, body] of Object.entries(files)) z.addBuffer(Buffer.from(body), name);
  z.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}
