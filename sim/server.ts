import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError } from './errors.js';
import { newRequestId } from './ids.js';
import { preloadBody, readBody, send, signingScope, startHttpServer } from './http-util.js';
import { AuthFailure, verifySignature } from './auth/sigv4.js';
import { authFailureError } from './auth/authorize.js';
import { resourceOf } from './auth/resources.js';
import { jsonInput, sendJsonError, sendJsonResult } from './protocols/json.js';
import { Input, queryDialect } from './protocols/input.js';
import { queryError, queryResponse, unflattenQuery } from './protocols/query.js';
import { runOperation } from './operation.js';
import { handleControl } from './control-api.js';
import { requestRegion } from './regions.js';
import { observeResponse } from './observe.js';
import { services } from './services/index.js';
import { requestContext, type SimContext } from './context.js';

/**
 * Verifies the request's signature and records who made it. With signatures off, an unsigned
 * or badly signed request passes as nobody (and no policy applies to it).
 */
async function authenticate(ctx: SimContext, req: IncomingMessage, url: URL, body: Buffer | undefined): Promise<void> {
  try {
    ctx.caller = await verifySignature(req, url, body, ctx.auth);
  } catch (err) {
    if (!(err instanceof AuthFailure)) throw err;
    if (ctx.auth.settings.signatures) throw authFailureError(ctx.protocol ?? 'json', err);
  }
}

async function handleJson(req: IncomingMessage, res: ServerResponse, ctx: SimContext, url: URL, target: string, requestId: string): Promise<void> {
  const dot = target.lastIndexOf('.');
  const prefix = target.slice(0, dot);
  const operation = target.slice(dot + 1);
  const service = services.json.find((s) => s.targetPrefix === prefix);
  try {
    const body = await readBody(req);
    await authenticate(ctx, req, url, body);
    if (!service) throw new AwsError('UnknownOperationException', `Unknown service target ${prefix}`);
    const handler = service.handlers[operation];
    if (!handler) throw new AwsError('UnknownOperationException', `Unknown operation ${operation}`);
    if (service.regions && !service.regions.includes(ctx.region)) throw outsideServiceRegions(ctx.region);
    const input = jsonInput(service, body);
    const result = await runOperation(ctx, service.name, operation, () => handler(input, ctx), resourceOf(service.name, input, ctx));
    sendJsonResult(res, result, requestId);
  } catch (err) {
    sendJsonError(res, asAwsError(err), requestId);
  }
}

async function handleQuery(req: IncomingMessage, res: ServerResponse, ctx: SimContext, url: URL, requestId: string): Promise<void> {
  const xml = (status: number, body: string): void => send(res, status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body);
  try {
    const raw = await readBody(req);
    await authenticate(ctx, req, url, raw);
    const params = new URLSearchParams(raw.toString('utf8'));
    const action = params.get('Action');
    const scope = signingScope(req).service;
    const service = services.query.find((s) => s.signingName === scope)
      ?? services.query.find((s) => action !== null && s.handlers[action] !== undefined);
    if (!action) throw new AwsError('MissingAction', 'The request must contain the parameter Action');
    const handler = service?.handlers[action];
    if (!service || !handler) throw new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`);
    const input = new Input(unflattenQuery(params), queryDialect);
    const result = await runOperation(ctx, service.name, action, () => handler(input, ctx), resourceOf(service.name, input, ctx));
    xml(200, queryResponse(action, service.namespace, result, requestId));
  } catch (err) {
    const e = asAwsError(err);
    xml(e.status, queryError(e, requestId));
  }
}

/**
 * A request signed for a region the service is not offered in. On AWS the client's endpoint for
 * that region does not exist (a DNS failure); the sim is one endpoint for every region, so it
 * answers as the service's real endpoint answers a request whose credential scope names another
 * region: 403 InvalidSignatureException. A 403 is what a client and the runbook treat as final,
 * as they should: retrying in the same region cannot succeed.
 */
function outsideServiceRegions(region: string): AwsError {
  return new AwsError('InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'.`, 403);
}

function asAwsError(err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  // A sim bug must answer like AWS's own 500, never take the sim down.
  console.error('sim: internal error', err);
  return new AwsError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);
}

async function route(req: IncomingMessage, res: ServerResponse, root: SimContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim.local');
  const requestId = newRequestId();
  if (url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')) {
    await handleControl(req, res, url.pathname, root);
    return;
  }
  const region = requestRegion(req, url) ?? root.region;
  const watch = (ctx: SimContext): SimContext => {
    if (root.observer) observeResponse(ctx, res, root.observer);
    return ctx;
  };
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) {
    await handleJson(req, res, watch(requestContext(root, region, requestId, 'json')), url, target, requestId);
    return;
  }
  const contentType = req.headers['content-type'] ?? '';
  if (req.method === 'POST' && url.pathname === '/' && contentType.startsWith('application/x-www-form-urlencoded')) {
    await handleQuery(req, res, watch(requestContext(root, region, requestId, 'query')), url, requestId);
    return;
  }
  const rest = services.rest.find((s) => s.matches(req, url.pathname));
  if (!rest) {
    send(res, 404, { 'content-type': 'application/json' }, JSON.stringify({ message: `No sim service answers ${req.method} ${url.pathname}` }));
    return;
  }
  const ctx = watch(requestContext(root, region, requestId, rest.signingName === 's3' ? 'rest-xml' : 'rest-json'));
  try {
    // S3 names its payload hash in a header; EFS's small JSON bodies are read to hash them.
    const body = rest.signingName === 's3' ? undefined : preloadBody(req, await readBody(req));
    await authenticate(ctx, req, url, body);
    await rest.handle(req, res, url, ctx, requestId);
  } catch (err) {
    // An error before the body was read (a fault, a missing bucket): drain it so the client
    // sees the error reply instead of a reset connection.
    if (!req.complete) req.resume();
    rest.renderError(res, asAwsError(err), requestId, req);
  }
}

export interface RunningApi {
  port: number;
  close(): Promise<void>;
}

export async function startApiServer(ctx: SimContext, host: string, port: number): Promise<RunningApi> {
  return startHttpServer((req, res) => route(req, res, ctx), 'API', host, port);
}
