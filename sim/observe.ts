import type { ServerResponse } from 'node:http';
import type { SimContext } from './context.js';
import type { WireProtocol } from './auth/authorize.js';

/** One answered AWS request as it went on the wire, for a conformance check to read. */
export interface ResponseRecord {
  protocol: WireProtocol;
  service: string;
  operation: string;
  status: number;
  headers: Record<string, string>;
  /** The body as text (JSON or XML); object bytes are not kept. */
  body: string;
}

export type ResponseObserver = (record: ResponseRecord) => void;

const TEXTUAL = /json|xml/;

/** Copies what a request's reply sends, and hands it to the observer once it is sent. */
export function observeResponse(ctx: SimContext, res: ServerResponse, observer: ResponseObserver): void {
  const chunks: Buffer[] = [];
  // Handlers pass their headers to writeHead, where getHeaders() does not see them.
  const written: Record<string, string> = {};
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const headers = rest.find((r) => typeof r === 'object' && r !== null) as Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(headers ?? {})) written[k.toLowerCase()] = String(v);
    return writeHead(status, ...rest);
  }) as typeof res.writeHead;
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const keep = (chunk: unknown): void => {
    if (!TEXTUAL.test(String(res.getHeader('content-type') ?? written['content-type'] ?? ''))) return;
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return write(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (chunk !== undefined && typeof chunk !== 'function') keep(chunk);
    return end(chunk, ...rest);
  }) as typeof res.end;
  res.once('finish', () => {
    if (!ctx.operation || !ctx.protocol) return;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.getHeaders())) headers[k] = Array.isArray(v) ? v.join(',') : String(v);
    Object.assign(headers, written);
    observer({ protocol: ctx.protocol, service: ctx.operation.service, operation: ctx.operation.name, status: res.statusCode, headers, body: Buffer.concat(chunks).toString('utf8') });
  });
}
