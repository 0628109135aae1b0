import { randomBytes, randomUUID } from 'node:crypto';

// Id shapes follow AWS so code that validates or parses ids behaves the same against the sim.
export const ACCOUNT_ID = '123456789012';
export const REGION_DEFAULT = 'us-east-1';

export function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2)).toString('hex').slice(0, length);
}

export function lowerAlnum(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export const newServerId = (): string => `s-${hex(17)}`;
export const newSshKeyId = (): string => `key-${hex(17)}`;
export const newFileSystemId = (): string => `fs-${hex(17)}`;
export const newEnvironmentId = (): string => `e-${lowerAlnum(10)}`;
export const newRequestId = (): string => randomUUID();
