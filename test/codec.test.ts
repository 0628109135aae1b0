import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { startCodecServer } from '../codec/codec-server.js';
import { EncryptionCodec } from '../codec/encryption-codec.js';
import { codecKeysFromEnv, newKeyLine } from '../codec/keys.js';
import { InputError } from '../config/errors.js';

// The payload codec on its own: rotation (old keys still decrypt), tampering, bad keys, and the
// codec server's CORS as the Temporal UI's browser needs it.

const value = { site: 'sample-site', note: 'readable only with the key' };

test('a rotated key still decrypts what the old one wrote; tampering and unknown keys fail', async () => {
  const oldKey = newKeyLine('k1');
  const newKey = newKeyLine('k2');
  const before = new EncryptionCodec(codecKeysFromEnv({ RUNBOOK_CODEC_KEY: oldKey })!);
  const [sealed] = await before.encode([defaultPayloadConverter.toPayload(value)]);
  assert.ok(sealed && !Buffer.from(sealed.data!).includes('sample-site'), 'the payload does not read without the key');
  assert.equal(Buffer.from(sealed.metadata!['encryption-key-id']!).toString(), 'k1');

  const dir = await mkdtemp(path.join(os.tmpdir(), 'codec-keys-'));
  try {
    const file = path.join(dir, 'keys');
    await writeFile(file, `# newest first\n${newKey.replace(':', ' ')}\n${oldKey.replace(':', ' ')}\n`);
    const after = new EncryptionCodec(codecKeysFromEnv({ RUNBOOK_CODEC_KEY_FILE: file })!);
    const [opened] = await after.decode([sealed]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), value);
    const [resealed] = await after.encode([defaultPayloadConverter.toPayload(value)]);
    assert.equal(Buffer.from(resealed!.metadata!['encryption-key-id']!).toString(), 'k2', 'the first key of the file encrypts');

    const tampered = { ...sealed, data: Buffer.from(sealed.data!).fill(1, 20, 21) };
    await assert.rejects(after.decode([tampered]), /unable to authenticate|auth/i);
    const stranger = new EncryptionCodec(codecKeysFromEnv({ RUNBOOK_CODEC_KEY: newKeyLine('k3') })!);
    await assert.rejects(stranger.decode([sealed]), /encrypted with key "k1", which this process does not hold/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.throws(() => codecKeysFromEnv({ RUNBOOK_CODEC_KEY: 'k1:c2hvcnQ=' }), (err: unknown) => err instanceof InputError && /is 5 bytes, not the 32 AES-256 needs/.test(err.message));
  assert.equal(codecKeysFromEnv({}), null, 'no key, no encryption');
});

test('the codec server answers the UI: CORS preflight, decode under a namespace path, foreign origins get no CORS grant', async () => {
  const codec = new EncryptionCodec(codecKeysFromEnv({ RUNBOOK_CODEC_KEY: newKeyLine('k1') })!);
  const server = await startCodecServer({ codec, port: 0, origins: ['http://localhost:8233'] });
  try {
    const preflight = await fetch(`${server.url}/default/decode`, { method: 'OPTIONS', headers: { origin: 'http://localhost:8233', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:8233');
    assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);

    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    const wire = { payloads: [{ metadata: Object.fromEntries(Object.entries(sealed!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(sealed!.data!).toString('base64') }] };
    const res = await fetch(`${server.url}/default/decode`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'http://evil.example' }, body: JSON.stringify(wire) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), null, 'no CORS grant for an origin that is not the UI');
    const body = (await res.json()) as { payloads: { data: string }[] };
    assert.deepEqual(JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString()), value);
  } finally {
    await server.close();
  }
});
