import type { ServerResponse } from 'node:http';
import { AwsError } from '../errors.js';
import { send } from '../http-util.js';
import { Input, jsonDialect } from './input.js';
import type { JsonService } from './types.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

export function parseJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsError('SerializationException', 'Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AwsError('SerializationException', 'Start of structure expected');
  }
  return parsed as Record<string, unknown>;
}

export function jsonInput(service: JsonService, body: Buffer): Input {
  return new Input(parseJsonBody(body), jsonDialect(service.validationCode));
}

// JSON protocols return null/undefined members by leaving them out.
function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, prune(v)]));
  }
  return value;
}

export function sendJsonResult(res: ServerResponse, result: unknown, requestId: string): void {
  send(res, 200, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId }, JSON.stringify(prune(result ?? {})));
}

export function sendJsonError(res: ServerResponse, err: AwsError, requestId: string): void {
  send(res, err.status, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId, 'x-amzn-errortype': err.code },
    JSON.stringify({ __type: err.code, message: err.message, Message: err.message, ...err.extra }));
}
