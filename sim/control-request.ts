import type { IncomingMessage } from 'node:http';
import { readBody } from './http-util.js';

export class ControlError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, 1024 * 1024);
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ControlError(400, 'The request body is not valid JSON.');
  }
}

export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const value = await readJson(req);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ControlError(400, 'The request body must be a JSON object.');
  return value as Record<string, unknown>;
}

