import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
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

/** Listens on host:port (0 picks a free port) and resolves with the port taken, or rejects (EADDRINUSE). */
export async function listenOn(server: { once(e: 'error', l: (err: Error) => void): unknown; off(e: 'error', l: (err: Error) => void): unknown; listen(port: number, host: string, cb: () => void): unknown; address(): unknown }, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as { port: number }).port;
}

/** An HTTP server whose close also drops kept-alive connections (SDK clients keep sockets open). */
export async function startHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>, label: string, host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      console.error(`sim: ${label} request failed`, err);
      if (!res.headersSent) send(res, 500, { 'content-type': 'application/json' }, JSON.stringify({ message: 'sim internal error' }));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  const taken = await listenOn(server, host, port);
  return {
    port: taken,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
