import type { IncomingMessage, ServerResponse } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import { AwsError } from '../errors.js';
import { readBody, send } from '../http-util.js';
import { escapeXml } from '../protocols/query.js';
import type { S3Bucket, S3PublicAccessBlock, S3WebsiteConfig } from '../state.js';

/*
 * A bucket's website configuration, bucket policy and Block Public Access settings: the
 * subresources (?website, ?policy, ?publicAccessBlock) a static-website bucket is set up with,
 * and the rule the website endpoint applies to decide whether an object is public.
 */

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'RoutingRule' });
const tag = (name: string, value: string | boolean | undefined): string => (value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`);
const malformedXml = (): AwsError => new AwsError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema');

/** Every new bucket: S3 turns all four settings on by default since April 2023. */
export const DEFAULT_PUBLIC_ACCESS_BLOCK: S3PublicAccessBlock = { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };

/** The bucket subresource a request names, or undefined for the bucket's other operations. */
export function bucketConfigOperation(method: string, q: URLSearchParams): string | undefined {
  const verb = method === 'PUT' ? 'Put' : method === 'GET' ? 'Get' : method === 'DELETE' ? 'Delete' : undefined;
  if (!verb) return undefined;
  if (q.has('website')) return `${verb}BucketWebsite`;
  if (q.has('policy')) return `${verb}BucketPolicy`;
  if (q.has('publicAccessBlock')) return `${verb}PublicAccessBlock`;
  return undefined;
}

function xml(res: ServerResponse, body: string, requestId: string): void {
  send(res, 200, { 'content-type': 'application/xml', 'x-amz-request-id': requestId }, `<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function parseXml<T>(raw: string): T {
  try {
    return parser.parse(raw) as T;
  } catch {
    throw malformedXml();
  }
}

type Fields = Record<string, string | undefined>;
interface WebsiteXml {
  WebsiteConfiguration: {
    IndexDocument?: { Suffix?: string };
    ErrorDocument?: { Key?: string };
    RedirectAllRequestsTo?: { HostName?: string; Protocol?: string };
    RoutingRules?: { RoutingRule?: { Condition?: Fields; Redirect?: Fields }[] };
  };
}

const strings = (fields: Fields | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(fields ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));

/** PutBucketWebsite's body, validated as S3 does. */
function parseWebsite(raw: string): S3WebsiteConfig {
  const root = parseXml<{ WebsiteConfiguration?: WebsiteXml['WebsiteConfiguration'] | '' }>(raw).WebsiteConfiguration;
  if (root === undefined) throw malformedXml();
  // An empty <WebsiteConfiguration/> parses as '': valid XML that names no index document.
  const conf = root === '' ? {} : root;
  const redirect = conf.RedirectAllRequestsTo;
  if (redirect) {
    if (!redirect.HostName) throw new AwsError('InvalidArgument', 'A value for RedirectAllRequestsTo HostName must be provided.');
    if (conf.IndexDocument || conf.ErrorDocument || conf.RoutingRules) {
      throw new AwsError('InvalidArgument', 'RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.');
    }
    return { redirectAllRequestsTo: { hostName: redirect.HostName, ...(redirect.Protocol ? { protocol: redirect.Protocol } : {}) } };
  }
  const suffix = conf.IndexDocument?.Suffix;
  if (suffix === undefined || suffix === '') throw new AwsError('InvalidArgument', 'A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty');
  if (suffix.includes('/')) throw new AwsError('InvalidArgument', 'The IndexDocument Suffix is not well formed');
  if (conf.ErrorDocument && !conf.ErrorDocument.Key) throw new AwsError('InvalidArgument', 'The ErrorDocument Key is not well formed');
  const rules = (conf.RoutingRules?.RoutingRule ?? []).map((rule) => {
    if (!rule.Redirect) throw malformedXml();
    return { ...(rule.Condition ? { condition: strings(rule.Condition) } : {}), redirect: strings(rule.Redirect) };
  });
  return {
    indexSuffix: suffix,
    ...(conf.ErrorDocument?.Key ? { errorKey: conf.ErrorDocument.Key } : {}),
    ...(rules.length > 0 ? { routingRules: rules } : {}),
  };
}

function renderWebsite(w: S3WebsiteConfig): string {
  const fields = (f: Record<string, string>): string => Object.entries(f).map(([k, v]) => tag(k, v)).join('');
  const body = w.redirectAllRequestsTo
    ? `<RedirectAllRequestsTo>${tag('HostName', w.redirectAllRequestsTo.hostName)}${tag('Protocol', w.redirectAllRequestsTo.protocol)}</RedirectAllRequestsTo>`
    : `<IndexDocument>${tag('Suffix', w.indexSuffix)}</IndexDocument>${w.errorKey ? `<ErrorDocument>${tag('Key', w.errorKey)}</ErrorDocument>` : ''}`
      + (w.routingRules ? `<RoutingRules>${w.routingRules.map((r) => `<RoutingRule>${r.condition ? `<Condition>${fields(r.condition)}</Condition>` : ''}<Redirect>${fields(r.redirect)}</Redirect></RoutingRule>`).join('')}</RoutingRules>` : '');
  return `<WebsiteConfiguration xmlns="${NS}">${body}</WebsiteConfiguration>`;
}

interface Statement {
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: unknown;
}

function statementsOf(policy: string): Statement[] {
  let parsed: { Statement?: Statement | Statement[] };
  try {
    parsed = JSON.parse(policy) as typeof parsed;
  } catch {
    throw new AwsError('MalformedPolicy', 'Policies must be valid JSON and the first byte must be \'{\'');
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.Statement === undefined) throw new AwsError('MalformedPolicy', 'Missing required field Statement');
  return Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const wildcard = (pattern: string, value: string): boolean =>
  new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);

/** A principal of "*" (or {"AWS": "*"}): anyone, the anonymous visitors of a website included. */
function everyone(principal: unknown): boolean {
  if (principal === '*') return true;
  const aws = (principal as { AWS?: unknown } | undefined)?.AWS;
  return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
}

/** Whether the policy lets anyone do `action` on `resource` (unconditionally; conditions are not public). */
function grantsEveryone(policy: string, action: string, resource: string): boolean {
  const matching = statementsOf(policy).filter((s) => everyone(s.Principal)
    && list(s.Action).some((a) => wildcard(a.toLowerCase(), action.toLowerCase()))
    && list(s.Resource).some((r) => wildcard(r, resource)));
  if (matching.some((s) => s.Effect === 'Deny')) return false;
  return matching.some((s) => s.Effect === 'Allow' && s.Condition === undefined);
}

/** Whether anonymous `action` on `resource` is allowed: a public policy that Block Public Access does not restrict. */
export function publiclyAllowed(bucket: S3Bucket, action: string, resource: string): boolean {
  if (!bucket.policy || bucket.publicAccessBlock?.restrictPublicBuckets) return false;
  return grantsEveryone(bucket.policy, action, resource);
}

/** A policy that grants anyone anything on the bucket: what BlockPublicPolicy refuses. */
function isPublicPolicy(policy: string): boolean {
  return statementsOf(policy).some((s) => s.Effect === 'Allow' && everyone(s.Principal) && s.Condition === undefined);
}

const bool = (v: string | undefined): boolean => v?.trim().toLowerCase() === 'true';

function renderBlock(b: S3PublicAccessBlock): string {
  return `<PublicAccessBlockConfiguration xmlns="${NS}">${tag('BlockPublicAcls', b.blockPublicAcls)}${tag('IgnorePublicAcls', b.ignorePublicAcls)}`
    + `${tag('BlockPublicPolicy', b.blockPublicPolicy)}${tag('RestrictPublicBuckets', b.restrictPublicBuckets)}</PublicAccessBlockConfiguration>`;
}

/** Answers one of the bucket-configuration operations named by `bucketConfigOperation`. */
export async function handleBucketConfig(
  operation: string,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  op: (name: string, fn: () => void | Promise<void>) => Promise<void>,
  bucketOf: () => S3Bucket,
): Promise<void> {
  const body = req.method === 'PUT' ? (await readBody(req)).toString('utf8') : '';
  const bucketName = (): string => bucketOf().name;
  const noContent = (): void => send(res, 204, { 'x-amz-request-id': requestId });
  await op(operation, () => {
    const bucket = bucketOf();
    switch (operation) {
      case 'PutBucketWebsite':
        bucket.website = parseWebsite(body);
        return send(res, 200, { 'x-amz-request-id': requestId });
      case 'GetBucketWebsite':
        if (!bucket.website) throw new AwsError('NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration', 404, { BucketName: bucketName() });
        return xml(res, renderWebsite(bucket.website), requestId);
      case 'DeleteBucketWebsite':
        delete bucket.website;
        return noContent();
      case 'PutBucketPolicy':
        statementsOf(body);
        if (bucket.publicAccessBlock?.blockPublicPolicy && isPublicPolicy(body)) {
          throw new AwsError('AccessDenied', `User is not authorized to perform: s3:PutBucketPolicy on resource: "arn:aws:s3:::${bucket.name}" because public policies are blocked by the BlockPublicPolicy block public access setting.`, 403);
        }
        bucket.policy = body;
        return noContent();
      case 'GetBucketPolicy':
        if (!bucket.policy) throw new AwsError('NoSuchBucketPolicy', 'The bucket policy does not exist', 404, { BucketName: bucketName() });
        return send(res, 200, { 'content-type': 'application/json', 'x-amz-request-id': requestId }, bucket.policy);
      case 'DeleteBucketPolicy':
        delete bucket.policy;
        return noContent();
      case 'PutPublicAccessBlock': {
        const conf = parseXml<{ PublicAccessBlockConfiguration?: Record<string, string> }>(body).PublicAccessBlockConfiguration;
        if (!conf) throw malformedXml();
        bucket.publicAccessBlock = {
          blockPublicAcls: bool(conf.BlockPublicAcls),
          ignorePublicAcls: bool(conf.IgnorePublicAcls),
          blockPublicPolicy: bool(conf.BlockPublicPolicy),
          restrictPublicBuckets: bool(conf.RestrictPublicBuckets),
        };
        return send(res, 200, { 'x-amz-request-id': requestId });
      }
      case 'GetPublicAccessBlock':
        if (!bucket.publicAccessBlock) throw new AwsError('NoSuchPublicAccessBlockConfiguration', 'The public access block configuration was not found', 404, { BucketName: bucketName() });
        return xml(res, renderBlock(bucket.publicAccessBlock), requestId);
      case 'DeletePublicAccessBlock':
        delete bucket.publicAccessBlock;
        return noContent();
      default:
        throw new AwsError('NotImplemented', `The sim's S3 does not implement ${operation}.`, 501);
    }
  });
}
