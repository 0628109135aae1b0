import type { IncomingMessage, ServerResponse } from 'node:http';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import { newRequestId } from './ids.js';
import { send, startHttpServer } from './http-util.js';
import { escapeXml } from './protocols/query.js';
import { objectHeaders, storedObjectPath } from './services/s3.js';
import { publiclyAllowed } from './services/s3-bucket-config.js';
import type { SimContext } from './context.js';
import type { S3Bucket, S3Object } from './state.js';

/**
 * S3's website endpoints, served on one loopback port of the sim and told apart by the Host
 * header, as AWS's DNS names tell them apart: `<bucket>.s3-website-<region>.amazonaws.com` or
 * `<bucket>.s3-website.<region>.amazonaws.com` (which form depends on the region; both are
 * accepted here). Anonymous GET/HEAD only, objects served only when the bucket policy makes them
 * public and Block Public Access does not restrict it, errors as S3's HTML pages.
 */
const WEBSITE_HOST = /^(.+)\.s3-website[-.]([a-z0-9-]+)\.amazonaws\.com$/;

interface WebsiteError {
  status: number;
  code: string;
  message: string;
  extra?: Record<string, string>;
}

const statusText: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed' };

/** S3's HTML error page; a readable error document replaces it (same status). */
function errorPage(err: WebsiteError, requestId: string): string {
  const title = `${err.status} ${statusText[err.status] ?? 'Error'}`;
  const items = [['Code', err.code], ['Message', err.message], ...Object.entries(err.extra ?? {}), ['RequestId', requestId], ['HostId', randomBytes(12).toString('base64')]];
  return `<html>\n<head><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n<ul>\n`
    + items.map(([k, v]) => `<li>${k}: ${escapeXml(v ?? '')}</li>\n`).join('') + '</ul>\n<hr/>\n</body>\n</html>\n';
}

const readable = (bucket: S3Bucket, key: string): boolean => publiclyAllowed(bucket, 's3:GetObject', `arn:aws:s3:::${bucket.name}/${key}`);
const listable = (bucket: S3Bucket): boolean => publiclyAllowed(bucket, 's3:ListBucket', `arn:aws:s3:::${bucket.name}`);

async function serveObject(ctx: SimContext, req: IncomingMessage, res: ServerResponse, bucket: S3Bucket, obj: S3Object, status: number, requestId: string): Promise<void> {
  res.writeHead(status, { ...objectHeaders(obj), 'content-length': obj.size, 'x-amz-request-id': requestId });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(storedObjectPath(ctx, bucket.name, obj)), res);
}

async function handle(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const fail = async (err: WebsiteError, bucket?: S3Bucket): Promise<void> => {
    // The error document is served with the error's status, when it is itself public.
    const errorKey = bucket?.website?.errorKey;
    const doc = errorKey !== undefined ? bucket?.objects[errorKey] : undefined;
    if (bucket && doc && errorKey !== undefined && readable(bucket, errorKey) && (err.status === 403 || err.status === 404)) {
      await serveObject(ctx, req, res, bucket, doc, err.status, requestId);
      return;
    }
    send(res, err.status, { 'content-type': 'text/html; charset=utf-8', 'x-amz-request-id': requestId, 'x-amz-error-code': err.code, 'x-amz-error-message': err.message },
      req.method === 'HEAD' ? undefined : errorPage(err, requestId));
  };
  const match = WEBSITE_HOST.exec(host);
  const bucketName = match?.[1] ?? host;
  const bucket = match ? ctx.store.state.s3.buckets[bucketName] : undefined;
  if (!bucket || bucket.region !== match?.[2]) {
    return fail({ status: 404, code: 'NoSuchBucket', message: 'The specified bucket does not exist', extra: { BucketName: bucketName } });
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return fail({ status: 405, code: 'MethodNotAllowed', message: `The specified method is not allowed against this resource.`, extra: { Method: req.method ?? '', ResourceType: 'OBJECT' } });
  }
  const website = bucket.website;
  if (!website) {
    return fail({ status: 404, code: 'NoSuchWebsiteConfiguration', message: 'The specified bucket does not have a website configuration', extra: { BucketName: bucket.name } });
  }
  const url = new URL(req.url ?? '/', 'http://website.local');
  if (website.redirectAllRequestsTo) {
    const { hostName, protocol } = website.redirectAllRequestsTo;
    send(res, 301, { location: `${protocol ?? 'http'}://${hostName}${url.pathname}`, 'x-amz-request-id': requestId });
    return;
  }
  const suffix = website.indexSuffix ?? 'index.html';
  const path = decodeURIComponent(url.pathname).replace(/^\//, '');
  // "/" and "directories" (a path ending in "/") are their index document.
  const key = path === '' || path.endsWith('/') ? `${path}${suffix}` : path;
  const obj = bucket.objects[key];
  if (!obj) {
    // A "directory" named without its slash: S3 redirects to it when its index document exists.
    if (bucket.objects[`${key}/${suffix}`] && readable(bucket, `${key}/${suffix}`)) {
      send(res, 302, { location: `${url.pathname}/`, 'x-amz-request-id': requestId });
      return;
    }
    // Without public s3:ListBucket a missing key is indistinguishable from a private one: 403.
    return listable(bucket)
      ? fail({ status: 404, code: 'NoSuchKey', message: 'The specified key does not exist.', extra: { Key: key } }, bucket)
      : fail({ status: 403, code: 'AccessDenied', message: 'Access Denied' }, bucket);
  }
  if (!readable(bucket, key)) return fail({ status: 403, code: 'AccessDenied', message: 'Access Denied' }, bucket);
  await serveObject(ctx, req, res, bucket, obj, 200, requestId);
}

export interface RunningWebsite {
  port: number;
  close(): Promise<void>;
}

export function startWebsiteServer(ctx: SimContext, host: string, port: number): Promise<RunningWebsite> {
  return startHttpServer((req, res) => handle(ctx, req, res), 'website', host, port);
}
