import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { InputError } from '../config/errors.js';

/** The keys a codec holds: `current` encrypts, every one of them decrypts (so keys can rotate). */
export interface CodecKeys {
  current: { id: string; key: Buffer };
  all: Map<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function parseKey(text: string, where: string): { id: string; key: Buffer } {
  const match = /^\s*([^\s:]+)[\s:]+(\S+)\s*$/.exec(text);
  const fix = `write it as "<key id>:<base64 of 32 random bytes>" (npm run codec-server -- --new-key prints one)`;
  if (!match) throw new InputError('InvalidArgument', where, `${where} is not a key: ${fix}.`);
  const [, id = '', encoded = ''] = match;
  if (!KEY_ID.test(id)) throw new InputError('InvalidArgument', where, `${where} has key id "${id}", which must be letters, digits, "_", "." or "-": ${fix}.`);
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 32) throw new InputError('InvalidArgument', where, `${where} key "${id}" is ${key.length} bytes, not the 32 AES-256 needs: ${fix}.`);
  return { id, key };
}

/**
 * The payload encryption keys from the environment, or null when encryption is off:
 * `RUNBOOK_CODEC_KEY_FILE` (one "<id> <base64>" per line, the first encrypts) or
 * `RUNBOOK_CODEC_KEY` ("<id>:<base64>") plus `RUNBOOK_CODEC_OLD_KEYS` (comma-separated, decrypt only).
 */
export function codecKeysFromEnv(env: NodeJS.ProcessEnv = process.env): CodecKeys | null {
  const entries: { id: string; key: Buffer }[] = [];
  if (env.RUNBOOK_CODEC_KEY_FILE) {
    let text: string;
    try {
      text = readFileSync(env.RUNBOOK_CODEC_KEY_FILE, 'utf8');
    } catch (err) {
      throw new InputError('InvalidArgument', 'RUNBOOK_CODEC_KEY_FILE', `RUNBOOK_CODEC_KEY_FILE ${env.RUNBOOK_CODEC_KEY_FILE} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}): fix the path or its permissions.`);
    }
    text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).forEach((line, i) => entries.push(parseKey(line, `RUNBOOK_CODEC_KEY_FILE line ${i + 1}`)));
    if (entries.length === 0) throw new InputError('InvalidArgument', 'RUNBOOK_CODEC_KEY_FILE', `RUNBOOK_CODEC_KEY_FILE ${env.RUNBOOK_CODEC_KEY_FILE} holds no key: add a line "<key id> <base64 of 32 bytes>".`);
  } else if (env.RUNBOOK_CODEC_KEY) {
    entries.push(parseKey(env.RUNBOOK_CODEC_KEY, 'RUNBOOK_CODEC_KEY'));
    for (const [i, old] of (env.RUNBOOK_CODEC_OLD_KEYS ?? '').split(',').filter((k) => k.trim()).entries()) entries.push(parseKey(old, `RUNBOOK_CODEC_OLD_KEYS entry ${i + 1}`));
  } else {
    return null;
  }
  const [current] = entries;
  if (!current) return null;
  return { current, all: new Map(entries.map((e) => [e.id, e.key])) };
}

/** A fresh key line, for the key file or RUNBOOK_CODEC_KEY. */
export function newKeyLine(id = `key-${new Date().toISOString().slice(0, 10)}`): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
