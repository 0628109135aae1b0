import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from './errors.js';

// A body already read (to check its signature) before the handler asks for it.
const preloaded = new WeakMap<IncomingMessage, Buffer>();

export function preloadBody(req: IncomingMessage, body: Buffer): Buffer {
  preloaded.set(req, body);
  return body;
}

/** Reads a (small) request body; API bodies, never S3 object data. */
export async function readBody(req: IncomingMessage, limit = 20 * 1024 * 1024): Promise<Buffer> {
  const early = preloaded.get(req);
  if (early) return early;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw new AwsError('RequestEntityTooLarge', 'Request body is too large', 413);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string | Buffer): void {
  if (res.headersSent) return;
  const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...headers, ...(payload ? { 'content-length': payload.length } : { 'content-length': 0 }) });
  res.end(payload);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, { 'content-type': 'application/json', ...headers }, JSON.stringify(value));
}

/** The SigV4 credential scope names the service the SDK signed for (`.../us-east-1/sts/aws4_request`). */
export function signingScope(req: IncomingMessage): { region?: string; service?: string } {
  const auth = req.headers.authorization ?? '';
  const m = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
  return m ? { region: m[1], service: m[2] } : {};
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
