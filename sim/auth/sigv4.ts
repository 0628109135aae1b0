import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Principal, PrincipalRegistry } from './principals.js';

// The SDK's own signer re-signs what the client sent, with the secret the sim knows for the
// access key; a different signature means a wrong secret or a request changed on the way.

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytes = (data: SourceData): Buffer =>
  typeof data === 'string' ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/** SHA-256 (or HMAC-SHA-256 with a secret) in the shape the signer takes. */
export class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

export type AuthFailureKind = 'missing' | 'unknownKey' | 'badSignature';

export class AuthFailure extends Error {
  constructor(readonly kind: AuthFailureKind, message: string) {
    super(message);
  }
}

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function parseAuthorization(header: string): ParsedAuthorization | undefined {
  const m = /^AWS4-HMAC-SHA256\s+Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})\s*$/.exec(header);
  if (!m) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';'), signature: m[6]! };
}

function amzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

/**
 * The principal that signed the request, or an AuthFailure. `body` is the request's bytes when
 * the payload hash is not in an `x-amz-content-sha256` header (everything but S3).
 */
export async function verifySignature(req: IncomingMessage, url: URL, body: Buffer | undefined, principals: PrincipalRegistry): Promise<Principal> {
  const header = req.headers.authorization;
  if (header === undefined) {
    throw new AuthFailure('missing', url.searchParams.has('X-Amz-Signature')
      ? 'The sim does not accept presigned (query-string) signatures.'
      : 'Missing Authentication Token');
  }
  const auth = parseAuthorization(header);
  if (!auth) throw new AuthFailure('missing', `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters (AWS4-HMAC-SHA256).`);
  const principal = principals.byAccessKey(auth.accessKeyId);
  if (!principal) throw new AuthFailure('unknownKey', 'The security token included in the request is invalid.');
  const dateHeader = req.headers['x-amz-date'];
  const signingDate = typeof dateHeader === 'string' ? amzDate(dateHeader) : undefined;
  if (!signingDate) throw new AuthFailure('badSignature', 'The request has no valid X-Amz-Date header.');

  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = req.headers[name];
    headers[name] = Array.isArray(value) ? value.join(',') : (value ?? '');
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const had = query[k];
    query[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
  const signer = new SignatureV4({
    credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
    region: auth.region,
    service: auth.service,
    sha256: Sha256,
    // S3 signs the path as sent; every other service encodes it once more.
    uriEscapePath: auth.service !== 's3',
    applyChecksum: false,
  });
  const signed = await signer.sign({
    method: req.method ?? 'GET', protocol: 'http:', hostname: headers.host ?? '', path: rawPath, query, headers,
    body: headers['x-amz-content-sha256'] === undefined ? body : undefined,
  }, { signingDate, signableHeaders: new Set(auth.signedHeaders) });
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? ''))?.[1] ?? '';
  if (expected.length !== auth.signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(auth.signature))) {
    throw new AuthFailure('badSignature', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.');
  }
  return principal;
}
