import { temporalSettings, temporalUiUrl } from '../worker/settings.js';
import { startCodecServer } from './codec-server.js';
import { EncryptionCodec } from './encryption-codec.js';
import { codecKeysFromEnv, newKeyLine } from './keys.js';

// `npm run codec-server`: decodes payloads for the Temporal UI and CLI, for people who hold the
// key. It listens on loopback by default: whoever reaches it can read every payload.
async function run(): Promise<void> {
  if (process.argv.includes('--new-key')) {
    console.log(newKeyLine());
    return;
  }
  const keys = codecKeysFromEnv();
  if (!keys) throw new Error('No codec key: set RUNBOOK_CODEC_KEY ("<id>:<base64 of 32 bytes>", see npm run codec-server -- --new-key) or RUNBOOK_CODEC_KEY_FILE.');
  const ui = temporalUiUrl(temporalSettings());
  const origins = (process.env.RUNBOOK_CODEC_CORS_ORIGINS ?? `${ui},http://localhost:8233,http://127.0.0.1:8233`).split(',').map((o) => o.trim()).filter(Boolean);
  const server = await startCodecServer({
    codec: new EncryptionCodec(keys),
    host: process.env.RUNBOOK_CODEC_HOST ?? '127.0.0.1',
    port: Number(process.env.RUNBOOK_CODEC_PORT ?? 8888),
    origins,
  });
  console.log(`codec server on ${server.url} (keys: ${[...keys.all.keys()].join(', ')}; encrypting with ${keys.current.id}); CORS for ${origins.join(', ')}`);
  console.log(`point the UI at it: Temporal UI → Settings (Codec Server) → ${server.url}, or "temporal server start-dev --ui-codec-endpoint ${server.url}"`);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

run().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
