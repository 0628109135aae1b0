import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AwsError } from '../errors.js';
import type { Input } from './input.js';
import type { SimContext } from '../context.js';

/** The shapes every service module fills in, one per wire protocol. */

export type JsonHandler = (input: Input, ctx: SimContext) => unknown;

/** A service on the JSON 1.1 protocol, addressed by `X-Amz-Target: <prefix>.<Operation>`. */
export interface JsonService {
  name: string;
  /** The IAM action prefix (`transfer`, `ecr`, `ecr-public`). */
  iamPrefix: string;
  targetPrefix: string;
  validationCode: string;
  handlers: Record<string, JsonHandler>;
  /** The only regions AWS serves it from (ECR Public); absent: every region. */
  regions?: readonly string[];
}

export type QueryHandler = (input: Input, ctx: SimContext) => Record<string, unknown> | Promise<Record<string, unknown>>;

/** A service on the query protocol (form-encoded `Action=...`, XML answers). */
export interface QueryService {
  name: string;
  signingName: string;
  iamPrefix: string;
  namespace: string;
  handlers: Record<string, QueryHandler>;
}

/** REST services (EFS, S3) route on method and path themselves. */
export interface RestService {
  name: string;
  signingName: string;
  /** The operations it answers, by their API names. */
  operations: string[];
  matches(req: IncomingMessage, path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, ctx: SimContext, requestId: string): Promise<void>;
  renderError(res: ServerResponse, err: AwsError, requestId: string, req: IncomingMessage): void;
}

export interface ServiceSet {
  json: JsonService[];
  query: QueryService[];
  rest: RestService[];
}
