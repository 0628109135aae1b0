import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { XMLParser } from 'fast-xml-parser';
import { AwsError } from '../errors.js';
import { AwsChunkedDecoder } from '../aws-chunked.js';
import { iso, now } from '../clock.js';
import { readBody, send } from '../http-util.js';
import { escapeXml } from '../protocols/query.js';
import { runOperation } from '../operation.js';
import type { RestService } from '../protocols/types.js';
import type { SimContext } from '../context.js';
import type { MultipartUpload, S3Bucket, S3Object } from '../state.js';
import { bucketConfigOperation, DEFAULT_PUBLIC_ACCESS_BLOCK, handleBucketConfig } from './s3-bucket-config.js';

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const MIN_PART = 5 * 1024 * 1024;

const noSuchBucket = (bucket: string): AwsError =>
  new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
const noSuchKey = (key: string): AwsError => new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
const noSuchUpload = (id: string): AwsError =>
  new AwsError('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', 404, { UploadId: id });

function xml(res: ServerResponse, status: number, body: string, requestId: string, headers: Record<string, string> = {}): void {
  send(res, status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId, ...headers },
    `<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

const tag = (name: string, value: string | number | boolean | undefined): string =>
  value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;

/** Forgets an object and removes its bytes; other services (Beanstalk's DeleteSourceFromS3) use it too. */
export async function deleteStoredObject(ctx: SimContext, bucketName: string, key: string): Promise<void> {
  const bucket = ctx.store.state.s3.buckets[bucketName];
  const obj = bucket?.objects[key];
  if (!bucket || !obj) return;
  delete bucket.objects[key];
  await rm(join(bucketDir(ctx, bucketName), obj.file), { force: true });
}

function bucketDir(ctx: SimContext, bucket: string): string {
  return join(ctx.stateDir, 's3', bucket);
}

/** Where an object's bytes are on disk (the website endpoint serves them too). */
export function storedObjectPath(ctx: SimContext, bucket: string, obj: S3Object): string {
  return join(bucketDir(ctx, bucket), obj.file);
}

/**
 * A bucket of the request's region. Names are global, so a bucket of another region exists
 * but answers as S3 does to a request signed for the wrong region (the SDKs redirect on it).
 */
function getBucket(ctx: SimContext, name: string): S3Bucket {
  const bucket = ctx.store.state.s3.buckets[name];
  if (!bucket) throw noSuchBucket(name);
  if (bucket.region !== ctx.region) {
    throw new AwsError('AuthorizationHeaderMalformed',
      `The authorization header is malformed; the region '${ctx.region}' is wrong; expecting '${bucket.region}'`, 400, { Region: bucket.region });
  }
  return bucket;
}

const bucketArn = (bucket: string, key?: string): string => `arn:aws:s3:::${bucket}${key === undefined ? '' : `/${key}`}`;

/** The region a CreateBucket names (its LocationConstraint), which must be the endpoint's. */
function bucketRegionFor(ctx: SimContext, body: string): string {
  const parsed = body.trim() === '' ? {} : (xmlParser.parse(body) as { CreateBucketConfiguration?: { LocationConstraint?: string } });
  const constraint = parsed.CreateBucketConfiguration?.LocationConstraint;
  const region = constraint === undefined || constraint === '' ? 'us-east-1' : constraint;
  if (region !== ctx.region) {
    const named = constraint === undefined || constraint === '' ? 'unspecified' : constraint;
    throw new AwsError('IllegalLocationConstraintException',
      `The ${named} location constraint is incompatible for the region specific endpoint this request was sent to.`);
  }
  return region;
}

function metadataFrom(req: IncomingMessage): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.startsWith('x-amz-meta-') && typeof v === 'string') meta[k.slice('x-amz-meta-'.length)] = v;
  }
  return meta;
}

/**
 * Streams the request body to a file, decoding aws-chunked, and returns its size, MD5 and the
 * SHA-256 the client sent (verified: a mismatch is S3's 400 BadDigest and nothing is stored).
 */
async function receiveBody(req: IncomingMessage, file: string): Promise<{ size: number; md5: string; checksums: Record<string, string>; sha256?: string }> {
  const hash = createHash('md5');
  const sha = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      sha.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const chunked = (req.headers['content-encoding'] ?? '').includes('aws-chunked')
    || String(req.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  const decoder = chunked ? new AwsChunkedDecoder() : undefined;
  const stages: (Readable | Transform)[] = decoder ? [req, decoder, meter] : [req, meter];
  await pipeline([...stages, createWriteStream(file)]);
  // S3 answers with the checksum the client sent (in a header, or an aws-chunked trailer).
  const sent = { ...Object.fromEntries(Object.entries(req.headers).filter(([, v]) => typeof v === 'string')), ...decoder?.trailers() } as Record<string, string>;
  const checksums = Object.fromEntries(Object.entries(sent).filter(([k]) => /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.test(k)));
  const expected = req.headers['content-md5'];
  const md5 = hash.digest();
  if (typeof expected === 'string' && expected !== md5.toString('base64')) {
    await rm(file, { force: true });
    throw new AwsError('BadDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  const sha256 = sha.digest('base64');
  const sentSha = checksums['x-amz-checksum-sha256'];
  if (sentSha !== undefined && sentSha !== sha256) {
    await rm(file, { force: true });
    throw new AwsError('BadDigest', 'The sha256 you specified did not match the calculated checksum.');
  }
  return { size, md5: md5.toString('hex'), checksums, ...(sentSha !== undefined ? { sha256 } : {}) };
}

/** S3 returns an object's checksum only when asked (`x-amz-checksum-mode: ENABLED`) and when it keeps one. */
function checksumHeaders(req: IncomingMessage, obj: S3Object): Record<string, string> {
  if (String(req.headers['x-amz-checksum-mode'] ?? '').toUpperCase() !== 'ENABLED' || obj.checksumSha256 === undefined) return {};
  return { 'x-amz-checksum-sha256': obj.checksumSha256, 'x-amz-checksum-type': /-\d+$/.test(obj.checksumSha256) ? 'COMPOSITE' : 'FULL_OBJECT' };
}

export function objectHeaders(obj: S3Object): Record<string, string | number> {
  const headers: Record<string, string | number> = {
    'last-modified': new Date(obj.lastModified).toUTCString(),
    etag: obj.etag,
    'content-type': obj.contentType ?? 'binary/octet-stream',
    'accept-ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(obj.metadata)) headers[`x-amz-meta-${k}`] = v;
  return headers;
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) {
    throw new AwsError('InvalidRange', 'The requested range is not satisfiable', 416);
  }
  return { start, end };
}

/** S3's `EncodingType=url` form of a key: percent-encoded, spaces as '+', slashes kept. */
const urlEncodeKey = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+').replace(/%2F/g, '/');

function listObjects(bucket: S3Bucket, url: URL, version: 1 | 2): string {
  const prefix = url.searchParams.get('prefix') ?? '';
  const encodingType = url.searchParams.get('encoding-type');
  if (encodingType !== null && encodingType !== 'url') throw new AwsError('InvalidArgument', 'Invalid Encoding Method specified in Request');
  const enc = (s: string): string => (encodingType === 'url' ? urlEncodeKey(s) : s);
  const delimiter = url.searchParams.get('delimiter') ?? '';
  const maxKeys = Math.min(Number(url.searchParams.get('max-keys') ?? 1000), 1000);
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new AwsError('InvalidArgument', 'Provided max-keys not an integer or within integer range');
  const token = version === 2 ? url.searchParams.get('continuation-token') : null;
  const startAfter = (version === 2 ? url.searchParams.get('start-after') : url.searchParams.get('marker')) ?? '';
  let after = startAfter;
  if (token !== null) {
    try {
      after = Buffer.from(token, 'base64url').toString('utf8');
    } catch {
      throw new AwsError('InvalidArgument', 'The continuation token provided is incorrect');
    }
  }
  const keys = Object.keys(bucket.objects).filter((k) => k.startsWith(prefix) && k > after).sort();
  const contents: S3Object[] = [];
  const prefixes: string[] = [];
  let last = '';
  let truncated = false;
  for (const key of keys) {
    if (contents.length + prefixes.length >= maxKeys) {
      truncated = true;
      break;
    }
    if (delimiter !== '') {
      const idx = key.indexOf(delimiter, prefix.length);
      if (idx !== -1) {
        const common = key.slice(0, idx + delimiter.length);
        if (!prefixes.includes(common)) prefixes.push(common);
        last = key;
        continue;
      }
    }
    contents.push(bucket.objects[key] as S3Object);
    last = key;
  }
  // Keys rolled into the last common prefix must not come back on the next page.
  if (truncated && delimiter !== '' && prefixes.length > 0) {
    const lastPrefix = prefixes[prefixes.length - 1] as string;
    if (last.startsWith(lastPrefix)) last = `${lastPrefix}\uffff`;
  }
  const paging = version === 2
    ? `${tag('KeyCount', contents.length + prefixes.length)}${tag('IsTruncated', truncated)}${token !== null ? tag('ContinuationToken', token) : ''}`
      + `${startAfter ? tag('StartAfter', enc(startAfter)) : ''}${truncated ? tag('NextContinuationToken', Buffer.from(last).toString('base64url')) : ''}`
    // v1 pages by key: NextMarker only when a delimiter hides the last key in a prefix.
    : `${tag('Marker', enc(startAfter))}${tag('IsTruncated', truncated)}${truncated && delimiter ? tag('NextMarker', enc(last)) : ''}`;
  return `<ListBucketResult xmlns="${NS}">${tag('Name', bucket.name)}${tag('Prefix', enc(prefix))}`
    + `${delimiter ? tag('Delimiter', enc(delimiter)) : ''}${tag('MaxKeys', maxKeys)}${encodingType ? tag('EncodingType', encodingType) : ''}${paging}`
    + contents.map((o) => `<Contents>${tag('Key', enc(o.key))}${tag('LastModified', iso(o.lastModified))}${tag('ETag', o.etag)}`
      + `${tag('Size', o.size)}<StorageClass>STANDARD</StorageClass></Contents>`).join('')
    + prefixes.map((p) => `<CommonPrefixes>${tag('Prefix', enc(p))}</CommonPrefixes>`).join('')
    + '</ListBucketResult>';
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const xmlParser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'Part' || name === 'Object' });
const malformedXml = (): AwsError => new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
const owner = '<Owner><ID>sim</ID><DisplayName>sim</DisplayName></Owner>';
const initiator = '<Initiator><ID>sim</ID><DisplayName>sim</DisplayName></Initiator>';

/** ListMultipartUploads: uploads in progress, by key then initiation, paged by key and upload id markers. */
function listUploads(ctx: SimContext, bucket: S3Bucket, url: URL): string {
  const q = url.searchParams;
  const prefix = q.get('prefix') ?? '';
  const keyMarker = q.get('key-marker') ?? '';
  const uploadIdMarker = q.get('upload-id-marker') ?? '';
  const maxUploads = Math.min(Number(q.get('max-uploads') ?? 1000), 1000);
  if (!Number.isInteger(maxUploads) || maxUploads < 0) throw new AwsError('InvalidArgument', 'Argument max-uploads must be an integer between 0 and 2147483647');
  const all = Object.values(ctx.store.state.s3.uploads)
    .filter((u) => u.bucket === bucket.name && u.key.startsWith(prefix))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiatedAt - b.initiatedAt || (a.uploadId < b.uploadId ? -1 : 1)));
  // Without upload-id-marker, key-marker skips every upload of that key; with it, those after the id.
  const markerIndex = uploadIdMarker !== '' ? all.findIndex((u) => u.key === keyMarker && u.uploadId === uploadIdMarker) : -1;
  const after = all.filter((u, i) => (markerIndex >= 0 ? i > markerIndex : keyMarker === '' || u.key > keyMarker));
  const page = after.slice(0, maxUploads);
  const truncated = after.length > page.length;
  const last = page[page.length - 1];
  return `<ListMultipartUploadsResult xmlns="${NS}">${tag('Bucket', bucket.name)}${tag('KeyMarker', keyMarker)}${tag('UploadIdMarker', uploadIdMarker)}`
    + `${truncated && last ? tag('NextKeyMarker', last.key) + tag('NextUploadIdMarker', last.uploadId) : ''}${tag('Prefix', prefix)}`
    + `${tag('MaxUploads', maxUploads)}${tag('IsTruncated', truncated)}`
    + page.map((u) => `<Upload>${tag('Key', u.key)}${tag('UploadId', u.uploadId)}${initiator}${owner}<StorageClass>STANDARD</StorageClass>`
      + `${tag('Initiated', iso(u.initiatedAt))}${tag('ChecksumAlgorithm', u.checksumAlgorithm)}</Upload>`).join('')
    + '</ListMultipartUploadsResult>';
}

export const s3Service: RestService = {
  name: 's3',
  signingName: 's3',
  operations: ['ListBuckets', 'CreateBucket', 'HeadBucket', 'DeleteBucket', 'ListObjects', 'ListObjectsV2', 'PutObject', 'GetObject', 'HeadObject',
    'DeleteObject', 'DeleteObjects', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload', 'AbortMultipartUpload', 'ListParts',
    'ListMultipartUploads', 'PutBucketWebsite', 'GetBucketWebsite', 'DeleteBucketWebsite', 'PutBucketPolicy', 'GetBucketPolicy', 'DeleteBucketPolicy',
    'PutPublicAccessBlock', 'GetPublicAccessBlock', 'DeletePublicAccessBlock'],
  matches: () => true,
  renderError(res: ServerResponse, err: AwsError, requestId: string, req: IncomingMessage): void {
    // The region S3 points a misdirected client at, in the header the SDKs' redirectors read.
    const region: Record<string, string> = err.extra.Region ? { 'x-amz-bucket-region': err.extra.Region } : {};
    if (req.method === 'HEAD') {
      // HEAD answers carry no body; the SDK maps the bare status (404 → NotFound).
      send(res, err.status, { 'x-amz-request-id': requestId, ...region });
      return;
    }
    const extra = Object.entries(err.extra).map(([k, v]) => tag(k, v)).join('');
    xml(res, err.status, `<Error>${tag('Code', err.code)}${tag('Message', err.message)}${extra}${tag('RequestId', requestId)}${tag('HostId', randomBytes(12).toString('base64'))}</Error>`, requestId, region);
  },

  async handle(req, res, url, ctx, requestId): Promise<void> {
    const method = req.method ?? 'GET';
    const [rawBucket = '', ...rest] = url.pathname.slice(1).split('/');
    const bucketName = decodeURIComponent(rawBucket);
    const key = rest.length > 0 ? rest.map(decodeURIComponent).join('/') : '';
    const q = url.searchParams;
    const state = ctx.store.state.s3;
    // IAM sees buckets and objects by ARN; ListBuckets acts on no bucket.
    const resource = bucketName === '' ? '*' : bucketArn(bucketName, key === '' ? undefined : key);
    const op = <T>(name: string, fn: () => T | Promise<T>): Promise<T> => runOperation(ctx, 's3', name, fn, resource);

    if (bucketName === '') {
      if (method !== 'GET') throw new AwsError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
      await op('ListBuckets', () => {
        const buckets = Object.values(state.buckets).sort((a, b) => a.name.localeCompare(b.name));
        xml(res, 200, `<ListAllMyBucketsResult xmlns="${NS}"><Owner><ID>sim</ID><DisplayName>sim</DisplayName></Owner><Buckets>`
          + buckets.map((b) => `<Bucket>${tag('Name', b.name)}${tag('CreationDate', iso(b.createdAt))}</Bucket>`).join('')
          + '</Buckets></ListAllMyBucketsResult>', requestId);
      });
      return;
    }

    if (key === '') {
      const configOperation = bucketConfigOperation(method, q);
      if (configOperation) {
        await handleBucketConfig(configOperation, req, res, requestId, op, () => getBucket(ctx, bucketName));
        return;
      }
      switch (method) {
        case 'PUT': {
          const body = (await readBody(req)).toString('utf8');
          await op('CreateBucket', async () => {
            if (!BUCKET_NAME.test(bucketName) || bucketName.includes('..')) {
              throw new AwsError('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucketName });
            }
            const region = bucketRegionFor(ctx, body);
            const existing = state.buckets[bucketName];
            if (existing) {
              // Only us-east-1 keeps its legacy 200 for a bucket you already own.
              if (existing.region !== 'us-east-1' || region !== 'us-east-1') {
                throw new AwsError('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { BucketName: bucketName });
              }
            } else {
              state.buckets[bucketName] = { name: bucketName, region, createdAt: now(), objects: {}, publicAccessBlock: { ...DEFAULT_PUBLIC_ACCESS_BLOCK } };
              await mkdir(bucketDir(ctx, bucketName), { recursive: true });
            }
            send(res, 200, { location: region === 'us-east-1' ? `/${bucketName}` : `http://${bucketName}.s3.amazonaws.com/`, 'x-amz-request-id': requestId });
          });
          return;
        }
        case 'HEAD':
          await op('HeadBucket', () => {
            const bucket = getBucket(ctx, bucketName);
            send(res, 200, { 'x-amz-request-id': requestId, 'x-amz-bucket-region': bucket.region });
          });
          return;
        case 'DELETE':
          await op('DeleteBucket', async () => {
            const bucket = getBucket(ctx, bucketName);
            if (Object.keys(bucket.objects).length > 0) {
              throw new AwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucketName });
            }
            delete state.buckets[bucketName];
            await rm(bucketDir(ctx, bucketName), { recursive: true, force: true });
            send(res, 204, { 'x-amz-request-id': requestId });
          });
          return;
        case 'GET':
          if (q.has('uploads')) {
            await op('ListMultipartUploads', () => {
              xml(res, 200, listUploads(ctx, getBucket(ctx, bucketName), url), requestId);
            });
            return;
          }
          await op(q.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', () => {
            xml(res, 200, listObjects(getBucket(ctx, bucketName), url, q.get('list-type') === '2' ? 2 : 1), requestId);
          });
          return;
        case 'POST': {
          if (!q.has('delete')) throw new AwsError('NotImplemented', `The sim's S3 does not implement POST ${url.search} on a bucket.`, 501);
          const raw = await readBody(req);
          await op('DeleteObjects', async () => {
            getBucket(ctx, bucketName);
            // S3 refuses a multi-object delete whose body no digest protects.
            const digested = Object.keys(req.headers).some((h) => h === 'content-md5' || /^x-amz-checksum-(crc32|crc32c|crc64nvme|sha1|sha256)$/.test(h));
            if (!digested) throw new AwsError('InvalidRequest', 'Missing required header for this request: Content-MD5');
            const sha = req.headers['x-amz-checksum-sha256'];
            if (typeof sha === 'string' && sha !== createHash('sha256').update(raw).digest('base64')) {
              throw new AwsError('BadDigest', 'The sha256 you specified did not match the calculated checksum.');
            }
            let parsed: { Delete?: { Object?: { Key?: string }[]; Quiet?: string } };
            try {
              parsed = xmlParser.parse(raw.toString('utf8')) as typeof parsed;
            } catch {
              throw malformedXml();
            }
            const objects = parsed.Delete?.Object ?? [];
            if (objects.length === 0 || objects.length > 1000) throw malformedXml();
            const quiet = parsed.Delete?.Quiet === 'true';
            const deleted: string[] = [];
            for (const o of objects) {
              if (typeof o.Key !== 'string' || o.Key === '') throw malformedXml();
              await deleteStoredObject(ctx, bucketName, o.Key);
              deleted.push(o.Key);
            }
            xml(res, 200, `<DeleteResult xmlns="${NS}">${quiet ? '' : deleted.map((k) => `<Deleted>${tag('Key', k)}</Deleted>`).join('')}</DeleteResult>`, requestId);
          });
          return;
        }
        default:
          throw new AwsError('NotImplemented', `The sim's S3 does not implement ${method} on a bucket.`, 501);
      }
    }

    const uploadId = q.get('uploadId');
    if (method === 'PUT' && uploadId !== null) {
      await op('UploadPart', async () => {
        const upload = state.uploads[uploadId];
        if (!upload || upload.bucket !== bucketName || upload.key !== key) throw noSuchUpload(uploadId);
        const partNumber = Number(q.get('partNumber'));
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
          throw new AwsError('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', 400);
        }
        const file = `${uploadId}.part${partNumber}`;
        const { size, md5, checksums, sha256 } = await receiveBody(req, join(bucketDir(ctx, bucketName), file));
        if (upload.checksumAlgorithm === 'SHA256' && sha256 === undefined) {
          throw new AwsError('InvalidRequest', 'The upload was created using a sha256 checksum. The part must carry an x-amz-checksum-sha256 checksum.');
        }
        upload.parts[String(partNumber)] = { size, etag: `"${md5}"`, file, lastModified: now(), ...(sha256 !== undefined ? { checksumSha256: sha256 } : {}) };
        send(res, 200, { etag: `"${md5}"`, 'x-amz-request-id': requestId, ...checksums });
      });
      return;
    }

    if (method === 'PUT') {
      if (req.headers['x-amz-copy-source']) throw new AwsError('NotImplemented', 'The sim\'s S3 does not implement CopyObject.', 501);
      await op('PutObject', async () => {
        const bucket = getBucket(ctx, bucketName);
        const file = `${randomUUID()}.obj`;
        const tmp = join(bucketDir(ctx, bucketName), `${file}.tmp`);
        const { size, md5, checksums, sha256 } = await receiveBody(req, tmp);
        await rename(tmp, join(bucketDir(ctx, bucketName), file));
        const previous = bucket.objects[key];
        bucket.objects[key] = {
          key, file, size, etag: `"${md5}"`, lastModified: now(),
          contentType: req.headers['content-type'], metadata: metadataFrom(req),
          ...(sha256 !== undefined ? { checksumSha256: sha256 } : {}),
        };
        if (previous) await rm(join(bucketDir(ctx, bucketName), previous.file), { force: true });
        send(res, 200, { etag: `"${md5}"`, 'x-amz-request-id': requestId, ...checksums });
      });
      return;
    }

    if (method === 'GET' && uploadId !== null) {
      await op('ListParts', () => {
        getBucket(ctx, bucketName);
        const upload = state.uploads[uploadId];
        if (!upload || upload.bucket !== bucketName || upload.key !== key) throw noSuchUpload(uploadId);
        const marker = Number(q.get('part-number-marker') ?? 0);
        const maxParts = Math.min(Number(q.get('max-parts') ?? 1000), 1000);
        if (!Number.isInteger(marker) || marker < 0) throw new AwsError('InvalidArgument', 'Argument part-number-marker must be an integer between 0 and 2147483647');
        if (!Number.isInteger(maxParts) || maxParts < 0) throw new AwsError('InvalidArgument', 'Argument max-parts must be an integer between 0 and 2147483647');
        const numbers = Object.keys(upload.parts).map(Number).filter((n) => n > marker).sort((a, b) => a - b);
        const page = numbers.slice(0, maxParts);
        const truncated = numbers.length > page.length;
        xml(res, 200, `<ListPartsResult xmlns="${NS}">${tag('Bucket', bucketName)}${tag('Key', key)}${tag('UploadId', uploadId)}`
          + `${tag('PartNumberMarker', marker)}${page.length > 0 ? tag('NextPartNumberMarker', page[page.length - 1]) : ''}${tag('MaxParts', maxParts)}`
          + `${tag('IsTruncated', truncated)}${initiator}${owner}<StorageClass>STANDARD</StorageClass>${tag('ChecksumAlgorithm', upload.checksumAlgorithm)}`
          + page.map((n) => {
            const part = upload.parts[String(n)] as MultipartUpload['parts'][string];
            return `<Part>${tag('PartNumber', n)}${tag('LastModified', iso(part.lastModified ?? upload.initiatedAt))}${tag('ETag', part.etag)}`
              + `${tag('Size', part.size)}${tag('ChecksumSHA256', part.checksumSha256)}</Part>`;
          }).join('')
          + '</ListPartsResult>', requestId);
      });
      return;
    }

    if (method === 'GET' || method === 'HEAD') {
      await op(method === 'GET' ? 'GetObject' : 'HeadObject', async () => {
        const bucket = getBucket(ctx, bucketName);
        const obj = bucket.objects[key];
        if (!obj) throw noSuchKey(key);
        const range = parseRange(typeof req.headers.range === 'string' ? req.headers.range : undefined, obj.size);
        const headers: Record<string, string | number> = { ...objectHeaders(obj), ...checksumHeaders(req, obj), 'x-amz-request-id': requestId };
        const path = join(bucketDir(ctx, bucketName), obj.file);
        if (method === 'HEAD') {
          res.writeHead(200, { ...headers, 'content-length': obj.size });
          res.end();
          return;
        }
        if (range) {
          res.writeHead(206, { ...headers, 'content-length': range.end - range.start + 1, 'content-range': `bytes ${range.start}-${range.end}/${obj.size}` });
        } else {
          res.writeHead(200, { ...headers, 'content-length': obj.size });
        }
        await stat(path);
        await pipeline(createReadStream(path, range ? { start: range.start, end: range.end } : {}), res);
      });
      return;
    }

    if (method === 'DELETE') {
      if (uploadId !== null) {
        await op('AbortMultipartUpload', async () => {
          const upload = state.uploads[uploadId];
          if (!upload) throw noSuchUpload(uploadId);
          for (const part of Object.values(upload.parts)) await rm(join(bucketDir(ctx, bucketName), part.file), { force: true });
          delete state.uploads[uploadId];
          send(res, 204, { 'x-amz-request-id': requestId });
        });
        return;
      }
      await op('DeleteObject', async () => {
        getBucket(ctx, bucketName);
        await deleteStoredObject(ctx, bucketName, key);
        send(res, 204, { 'x-amz-request-id': requestId });
      });
      return;
    }

    if (method === 'POST' && q.has('uploads')) {
      await readBody(req);
      await op('CreateMultipartUpload', () => {
        getBucket(ctx, bucketName);
        const id = randomBytes(24).toString('base64url');
        const algorithm = typeof req.headers['x-amz-checksum-algorithm'] === 'string' ? req.headers['x-amz-checksum-algorithm'].toUpperCase() : undefined;
        if (algorithm !== undefined && !['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'].includes(algorithm)) {
          throw new AwsError('InvalidRequest', 'Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]');
        }
        state.uploads[id] = {
          uploadId: id, bucket: bucketName, key, initiatedAt: now(),
          contentType: req.headers['content-type'], metadata: metadataFrom(req), parts: {},
          ...(algorithm !== undefined ? { checksumAlgorithm: algorithm } : {}),
        };
        xml(res, 200, `<InitiateMultipartUploadResult xmlns="${NS}">${tag('Bucket', bucketName)}${tag('Key', key)}${tag('UploadId', id)}</InitiateMultipartUploadResult>`,
          requestId, algorithm !== undefined ? { 'x-amz-checksum-algorithm': algorithm } : {});
      });
      return;
    }

    if (method === 'POST' && uploadId !== null) {
      const body = (await readBody(req)).toString('utf8');
      await op('CompleteMultipartUpload', async () => {
        const bucket = getBucket(ctx, bucketName);
        const upload = state.uploads[uploadId];
        if (!upload || upload.bucket !== bucketName || upload.key !== key) throw noSuchUpload(uploadId);
        let parsed: { CompleteMultipartUpload?: { Part?: { PartNumber?: string; ETag?: string; ChecksumSHA256?: string }[] } };
        try {
          parsed = xmlParser.parse(body) as typeof parsed;
        } catch {
          throw new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
        }
        const parts = parsed.CompleteMultipartUpload?.Part ?? [];
        if (parts.length === 0) throw new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');
        parts.reduce((previous, p) => {
          const n = Number(p.PartNumber);
          if (!(n > previous)) throw new AwsError('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
          return n;
        }, 0);
        const chosen = parts.map((p, i) => {
          const n = Number(p.PartNumber);
          const stored = upload.parts[String(n)];
          const etag = (p.ETag ?? '').replace(/&quot;/g, '"');
          const checksumDiffers = p.ChecksumSHA256 !== undefined && p.ChecksumSHA256 !== stored?.checksumSha256;
          if (!stored || stored.etag.replace(/"/g, '') !== etag.replace(/"/g, '') || checksumDiffers) {
            throw new AwsError('InvalidPart', 'One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.');
          }
          if (i < parts.length - 1 && stored.size < MIN_PART) {
            throw new AwsError('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
          }
          return stored;
        });
        const dir = bucketDir(ctx, bucketName);
        const file = `${randomUUID()}.obj`;
        const out = createWriteStream(join(dir, `${file}.tmp`));
        // Each part's pipeline listens on the same stream until it ends: one listener set per part.
        out.setMaxListeners(chosen.length + 10);
        const md5s: Buffer[] = [];
        let size = 0;
        for (const part of chosen) {
          await pipeline(createReadStream(join(dir, part.file)), out, { end: false });
          md5s.push(Buffer.from(part.etag.replace(/"/g, ''), 'hex'));
          size += part.size;
        }
        await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
        await rename(join(dir, `${file}.tmp`), join(dir, file));
        const etag = `"${createHash('md5').update(Buffer.concat(md5s)).digest('hex')}-${chosen.length}"`;
        // S3's composite checksum: the SHA-256 of the parts' SHA-256 digests, then "-<part count>".
        const composite = upload.checksumAlgorithm === 'SHA256' && chosen.every((c) => c.checksumSha256 !== undefined)
          ? `${createHash('sha256').update(Buffer.concat(chosen.map((c) => Buffer.from(c.checksumSha256 as string, 'base64')))).digest('base64')}-${chosen.length}`
          : undefined;
        const previousObj = bucket.objects[key];
        bucket.objects[key] = {
          key, file, size, etag, lastModified: now(), contentType: upload.contentType, metadata: upload.metadata,
          ...(composite !== undefined ? { checksumSha256: composite } : {}),
        };
        if (previousObj) await rm(join(dir, previousObj.file), { force: true });
        for (const part of Object.values(upload.parts)) await rm(join(dir, part.file), { force: true });
        delete state.uploads[uploadId];
        xml(res, 200, `<CompleteMultipartUploadResult xmlns="${NS}">${tag('Location', `${url.origin}/${bucketName}/${key}`)}`
          + `${tag('Bucket', bucketName)}${tag('Key', key)}${tag('ETag', etag)}${tag('ChecksumSHA256', composite)}${composite !== undefined ? tag('ChecksumType', 'COMPOSITE') : ''}`
          + '</CompleteMultipartUploadResult>', requestId);
      });
      return;
    }

    throw new AwsError('NotImplemented', `The sim's S3 does not implement ${method} ${url.pathname}${url.search}.`, 501);
  },
};
