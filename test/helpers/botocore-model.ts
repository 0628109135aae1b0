import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { XMLParser } from 'fast-xml-parser';
import type { ResponseRecord } from '../../sim/index.js';

// botocore's service models (what every AWS SDK is generated from) as the reference for the
// sim's answers: each reply (body and headers) is walked against its operation's output shape,
// each error code against the operation's declared errors and the errors every AWS API may
// return (and, for S3 only, S3's own).

interface Member { shape: string; locationName?: string; location?: string; jsonName?: string; flattened?: boolean; timestampFormat?: string; jsonvalue?: boolean }
interface Shape {
  type: string;
  members?: Record<string, Member>;
  required?: string[];
  member?: Member;
  key?: Member;
  value?: Member;
  enum?: string[];
  flattened?: boolean;
  locationName?: string;
  payload?: string;
  error?: { code?: string };
  timestampFormat?: string;
}
interface Operation { name: string; output?: { shape: string; resultWrapper?: string }; errors?: { shape: string }[] }
export interface ServiceModel { metadata: { protocol: string; endpointPrefix: string }; operations: Record<string, Operation>; shapes: Record<string, Shape> }

export function loadModel(dataDir: string, service: string): ServiceModel {
  const dir = path.join(dataDir, service);
  const version = readdirSync(dir).sort().at(-1) ?? '';
  const file = path.join(dir, version, 'service-2.json.gz');
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as ServiceModel;
}

/** Codes any AWS API may answer, whatever its model declares (AWS's "common errors"). */
export const COMMON_ERRORS = new Set([
  'AccessDenied', 'AccessDeniedException', 'IncompleteSignature', 'InternalFailure', 'InternalError', 'InvalidAction', 'InvalidClientTokenId',
  'InvalidParameterCombination', 'InvalidParameterValue', 'InvalidQueryParameter', 'MalformedQueryString', 'MissingAction',
  'MissingAuthenticationToken', 'MissingAuthenticationTokenException', 'MissingParameter', 'NotAuthorized', 'OptInRequired', 'RequestExpired',
  'ServiceUnavailable', 'ServiceUnavailableException', 'ThrottlingException', 'Throttling', 'ValidationError', 'ValidationException',
  'UnrecognizedClientException', 'InvalidSignatureException', 'SignatureDoesNotMatch', 'SerializationException', 'UnknownOperationException',
]);

/** S3's own codes, which its model declares few of: https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html */
export const S3_ERRORS = new Set([
  'NoSuchBucket', 'NoSuchKey', 'NoSuchUpload', 'BucketNotEmpty', 'InvalidBucketName', 'InvalidArgument', 'InvalidPart', 'InvalidPartOrder',
  'EntityTooSmall', 'MalformedXML', 'InvalidRange', 'SlowDown', 'InvalidAccessKeyId', 'AuthorizationHeaderMalformed', 'IllegalLocationConstraintException',
  'BucketAlreadyOwnedByYou', 'NotImplemented', 'MethodNotAllowed', 'BadDigest', 'InvalidDigest',
  'NoSuchWebsiteConfiguration', 'NoSuchBucketPolicy', 'NoSuchPublicAccessBlockConfiguration', 'MalformedPolicy',
]);

const xml = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false });

type Found = string[];

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === '' ? [] : [v];
}

class Walker {
  constructor(private readonly model: ServiceModel, private readonly wire: 'json' | 'xml', private readonly allowExtra: Set<string>) {}

  value(shapeName: string, value: unknown, at: string, problems: Found): void {
    const shape = this.model.shapes[shapeName];
    if (!shape) return void problems.push(`${at}: unknown shape ${shapeName}`);
    switch (shape.type) {
      case 'structure': return this.structure(shapeName, shape, value, at, problems);
      case 'list': {
        const item = shape.member as Member;
        const wrapper = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
        const items = this.wire === 'json' ? value : shape.flattened ? asArray(value) : asArray(wrapper[item.locationName ?? 'member']);
        if (!Array.isArray(items)) return void problems.push(`${at}: expected a list, got ${typeof value}`);
        items.forEach((v, i) => this.value(item.shape, v, `${at}[${i}]`, problems));
        return;
      }
      case 'map': {
        if (this.wire === 'xml') {
          for (const entry of asArray((value as Record<string, unknown>)?.entry)) this.value((shape.value as Member).shape, (entry as Record<string, unknown>).value, `${at}{}`, problems);
          return;
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return void problems.push(`${at}: expected a map`);
        for (const [k, v] of Object.entries(value)) this.value((shape.value as Member).shape, v, `${at}.${k}`, problems);
        return;
      }
      case 'string':
        if (typeof value !== 'string') return void problems.push(`${at}: expected a string, got ${JSON.stringify(value)}`);
        if (shape.enum && !shape.enum.includes(value) && !this.allowExtra.has(at)) problems.push(`${at}: "${value}" is not one of ${shape.enum.join('|')}`);
        return;
      case 'integer': case 'long':
        if (this.wire === 'json' ? !Number.isInteger(value) : !/^-?\d+$/.test(String(value))) problems.push(`${at}: expected an integer, got ${JSON.stringify(value)}`);
        return;
      case 'double': case 'float':
        if (this.wire === 'json' ? typeof value !== 'number' : Number.isNaN(Number(value))) problems.push(`${at}: expected a number, got ${JSON.stringify(value)}`);
        return;
      case 'boolean':
        if (this.wire === 'json' ? typeof value !== 'boolean' : !['true', 'false'].includes(String(value))) problems.push(`${at}: expected a boolean, got ${JSON.stringify(value)}`);
        return;
      case 'timestamp':
        if (typeof value === 'number' ? !Number.isFinite(value) : Number.isNaN(Date.parse(String(value)))) problems.push(`${at}: expected a timestamp, got ${JSON.stringify(value)}`);
        return;
      case 'blob':
        if (typeof value !== 'string') problems.push(`${at}: expected base64 data`);
        return;
      default:
        return;
    }
  }

  structure(name: string, shape: Shape, value: unknown, at: string, problems: Found): void {
    if (value === '' && this.wire === 'xml') value = {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return void problems.push(`${at}: expected a structure ${name}, got ${JSON.stringify(value)}`);
    const members = shape.members ?? {};
    const wireName = (n: string, m: Member): string => (this.wire === 'json' ? m.jsonName ?? m.locationName ?? n : m.locationName ?? n);
    const known = new Map(Object.entries(members).filter(([, m]) => m.location === undefined).map(([n, m]) => [wireName(n, m), [n, m] as const]));
    for (const [key, v] of Object.entries(value)) {
      const entry = known.get(key);
      if (!entry) {
        if (!this.allowExtra.has(`${name}.${key}`)) problems.push(`${at}.${key}: not a member of ${name}`);
        continue;
      }
      this.value(entry[1].shape, v, `${at}.${key}`, problems);
    }
    for (const req of shape.required ?? []) {
      const m = members[req];
      if (m && m.location === undefined && !(wireName(req, m) in value)) problems.push(`${at}: required member ${req} of ${name} is missing`);
    }
  }
}

const RFC822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const ISO8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;
const TIMESTAMP: Record<string, RegExp> = { rfc822: RFC822, iso8601: ISO8601, unixTimestamp: /^\d+(\.\d+)?$/ };

/** What is wrong with one header's value for its member, if anything. */
function headerProblem(model: ServiceModel, member: Member, value: string): string | undefined {
  const shape = model.shapes[member.shape] as Shape;
  switch (shape.type) {
    case 'string':
      if (member.jsonvalue) {
        try {
          JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
        } catch {
          return `"${value}" is not base64-encoded JSON`;
        }
      }
      return shape.enum && !shape.enum.includes(value) ? `"${value}" is not one of ${shape.enum.join('|')}` : undefined;
    case 'integer': case 'long':
      return /^-?\d+$/.test(value) ? undefined : `expected an integer, got "${value}"`;
    case 'double': case 'float':
      return value.trim() !== '' && !Number.isNaN(Number(value)) ? undefined : `expected a number, got "${value}"`;
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : `expected true or false, got "${value}"`;
    case 'timestamp': {
      // Headers carry RFC 822 dates unless the model says otherwise (botocore's rule).
      const format = member.timestampFormat ?? shape.timestampFormat ?? 'rfc822';
      const pattern = TIMESTAMP[format];
      return pattern && pattern.test(value) && !Number.isNaN(format === 'unixTimestamp' ? Number(value) : Date.parse(value)) ? undefined : `expected a ${format} timestamp, got "${value}"`;
    }
    case 'blob':
      return /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? undefined : `expected base64 data, got "${value}"`;
    case 'list':
      return value.split(',').map((v) => headerProblem(model, shape.member as Member, v.trim())).find((p) => p !== undefined);
    default:
      return undefined;
  }
}

/** The output members bound to single headers (location "header"): present when required, typed, in their enum. */
function checkHeaders(model: ServiceModel, shape: Shape, r: ResponseRecord, where: string): string[] {
  const problems: string[] = [];
  const required = new Set(shape.required ?? []);
  for (const [name, member] of Object.entries(shape.members ?? {})) {
    if (member.location !== 'header') continue;
    const header = (member.locationName ?? name).toLowerCase();
    const value = r.headers[header];
    if (value === undefined) {
      if (required.has(name)) problems.push(`${where}: required header ${header} (${name}) is missing`);
      continue;
    }
    const problem = headerProblem(model, member, value);
    if (problem) problems.push(`${where} header ${header} (${name}): ${problem}`);
  }
  return problems;
}

/** The error code a reply carries, in its protocol's framing (undefined for a success). */
export function errorCode(r: ResponseRecord): string | undefined {
  if (r.status < 300) return undefined;
  if (r.protocol === 'json' || r.protocol === 'rest-json') {
    const header = r.headers['x-amzn-errortype'];
    const fromBody = r.body ? (JSON.parse(r.body) as { __type?: string }).__type : undefined;
    return (header ?? fromBody ?? '').split(':')[0]?.split('#').pop();
  }
  if (r.body === '') return `HTTP ${r.status}`;
  const parsed = xml.parse(r.body) as { ErrorResponse?: { Error?: { Code?: string } }; Error?: { Code?: string } };
  return parsed.ErrorResponse?.Error?.Code ?? parsed.Error?.Code;
}

/** Every way a reply departs from the model; empty when it conforms. */
export function checkResponse(model: ServiceModel, r: ResponseRecord, allowExtra: Set<string> = new Set()): string[] {
  const op = model.operations[r.operation];
  const where = `${r.service} ${r.operation}`;
  if (!op) return [`${where}: not an operation of botocore's model`];
  const code = errorCode(r);
  if (code !== undefined) {
    if (code.startsWith('HTTP ')) return [];
    const declared = new Set((op.errors ?? []).flatMap((e) => [e.shape, model.shapes[e.shape]?.error?.code ?? e.shape]));
    return declared.has(code) || COMMON_ERRORS.has(code) || (r.service === 's3' && S3_ERRORS.has(code)) ? [] : [`${where}: error ${code} is not declared for the operation (declared: ${[...declared].join(', ') || 'none'})`];
  }
  if (!op.output) return [];
  const shape = model.shapes[op.output.shape] as Shape;
  const problems = checkHeaders(model, shape, r, where);
  if (r.protocol === 'json' || r.protocol === 'rest-json') {
    const bodyMembers = Object.values(shape.members ?? {}).some((m) => m.location === undefined);
    if (!bodyMembers || r.body === '') return problems;
    new Walker(model, 'json', allowExtra).value(op.output.shape, JSON.parse(r.body), where, problems);
    return problems;
  }
  if (r.body === '') return problems;
  const parsed = xml.parse(r.body) as Record<string, unknown>;
  if (r.protocol === 'query') {
    const response = parsed[`${r.operation}Response`] as Record<string, unknown> | undefined;
    if (!response) return [`${where}: no <${r.operation}Response> element`];
    const result = op.output.resultWrapper ? response[op.output.resultWrapper] : response;
    if (result === undefined) return [`${where}: no <${op.output.resultWrapper ?? ''}> element`];
    new Walker(model, 'xml', allowExtra).value(op.output.shape, result, where, problems);
    return problems;
  }
  // rest-xml: the body is the output's one payload structure, or its body members.
  const [root] = Object.entries(parsed).filter(([k]) => k !== '?xml');
  if (!root) return problems;
  const target = shape.payload ? (shape.members?.[shape.payload]?.shape ?? op.output.shape) : op.output.shape;
  new Walker(model, 'xml', allowExtra).value(target, root[1], where, problems);
  return problems;
}
