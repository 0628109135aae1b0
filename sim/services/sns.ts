import { createHash, randomUUID } from 'node:crypto';
import { AwsError } from '../errors.js';
import { ACCOUNT_ID } from '../ids.js';
import { now } from '../clock.js';
import { paginate } from '../pagination.js';
import { regional } from '../regions.js';
import type { Input } from '../protocols/input.js';
import type { QueryHandler, QueryService } from '../protocols/types.js';
import type { SimContext } from '../context.js';
import type { SnsTopic } from '../state.js';

// SNS on the query protocol: topics per region, subscriptions, and every accepted Publish kept
// on its topic so tests read what e-mail subscribers were sent. Errors use SNS's own codes
// (InvalidParameter, NotFound) and its "Invalid parameter: <Name>" wording.

const invalid = (what: string): AwsError => new AwsError('InvalidParameter', `Invalid parameter: ${what}`);
const topicNotFound = (): AwsError => new AwsError('NotFound', 'Topic does not exist', 404);

const PROTOCOLS = new Set(['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'application', 'lambda', 'firehose']);
// AWS: ASCII, starting with a letter, number or punctuation, no line breaks or control characters, under 100 characters.
const SUBJECT = /^[A-Za-z0-9!-/:-@[-`{-~][\x20-\x7e]{0,98}$/;
const MAX_MESSAGE_BYTES = 256 * 1024;
const FIFO_DEDUP_MS = 5 * 60_000;

export function topicArn(region: string, name: string): string {
  return `arn:aws:sns:${region}:${ACCOUNT_ID}:${name}`;
}

function topics(ctx: SimContext): Record<string, SnsTopic> {
  return regional(ctx).sns.topics;
}

function findTopic(ctx: SimContext, arn: string): SnsTopic {
  if (!/^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(arn)) throw invalid('TopicArn');
  const topic = topics(ctx)[arn];
  // A topic of another region is as absent as a deleted one: ARNs name their region.
  if (!topic) throw topicNotFound();
  return topic;
}

function attribute(input: Input, name: string): string | undefined {
  const entries = input.optObjList('Attributes') ?? [];
  return entries.find((e) => e.optStr('key') === name)?.optStr('value');
}

const handlers: Record<string, QueryHandler> = {
  CreateTopic(input, ctx) {
    const name = input.str('Name');
    const fifo = attribute(input, 'FifoTopic') === 'true';
    if (!/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(name) || name.endsWith('.fifo') !== fifo) {
      throw invalid(fifo || name.endsWith('.fifo') ? 'Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.' : 'Topic Name');
    }
    const arn = topicArn(ctx.region, name);
    // Creating an existing topic answers its ARN, as AWS does for the same attributes.
    topics(ctx)[arn] ??= { arn, name, fifo, createdAt: now(), subscriptions: [], published: [] };
    return { TopicArn: arn };
  },

  Subscribe(input, ctx) {
    const topic = findTopic(ctx, input.str('TopicArn'));
    const protocol = input.str('Protocol');
    if (!PROTOCOLS.has(protocol)) throw invalid(`Amazon SNS does not support this protocol string: ${protocol}`);
    const endpoint = input.optStr('Endpoint') ?? '';
    if (protocol.startsWith('email') && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(endpoint)) throw invalid('Email address');
    if (protocol.startsWith('http') && !endpoint.startsWith(`${protocol}://`)) throw invalid('Endpoint');
    const existing = topic.subscriptions.find((s) => s.protocol === protocol && s.endpoint === endpoint);
    const subscription = existing ?? { subscriptionArn: `${topic.arn}:${randomUUID()}`, protocol, endpoint, confirmed: !['email', 'email-json', 'http', 'https'].includes(protocol) };
    if (!existing) topic.subscriptions.push(subscription);
    const returnArn = input.optBool('ReturnSubscriptionArn') === true;
    return { SubscriptionArn: subscription.confirmed || returnArn ? subscription.subscriptionArn : 'pending confirmation' };
  },

  ListSubscriptionsByTopic(input, ctx) {
    const topic = findTopic(ctx, input.str('TopicArn'));
    const { page, next } = paginate(topic.subscriptions, 100, input.optStr('NextToken'), () => invalid('NextToken'));
    return {
      Subscriptions: page.map((s) => ({
        SubscriptionArn: s.confirmed ? s.subscriptionArn : 'PendingConfirmation',
        Owner: ACCOUNT_ID,
        Protocol: s.protocol,
        Endpoint: s.endpoint,
        TopicArn: topic.arn,
      })),
      ...(next ? { NextToken: next } : {}),
    };
  },

  Publish(input, ctx) {
    const arn = input.optStr('TopicArn') ?? input.optStr('TargetArn');
    if (arn === undefined) throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
    const topic = findTopic(ctx, arn);
    const message = input.optStr('Message') ?? '';
    if (message === '') throw invalid('Empty message');
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) throw invalid('Message too long');
    const subject = input.optStr('Subject');
    if (subject !== undefined && !SUBJECT.test(subject)) throw invalid('Subject');
    const messageGroupId = input.optStr('MessageGroupId');
    let deduplicationId = input.optStr('MessageDeduplicationId');
    if (topic.fifo) {
      if (!messageGroupId) throw invalid('The MessageGroupId parameter is required for FIFO topics');
      // Without content-based deduplication a FIFO topic needs the caller's id; the sim derives it as that setting would.
      deduplicationId ??= createHash('sha256').update(message).digest('hex');
      const at = now();
      const seen = topic.published.find((p) => p.deduplicationId === deduplicationId && at - p.at < FIFO_DEDUP_MS);
      // A duplicate within five minutes is accepted and not delivered again.
      if (seen) return { MessageId: seen.messageId, SequenceNumber: String(topic.published.indexOf(seen) + 1).padStart(20, '0') };
    } else if (messageGroupId !== undefined || deduplicationId !== undefined) {
      throw invalid(`${messageGroupId !== undefined ? 'MessageGroupId' : 'MessageDeduplicationId'} Reason: The request includes ${messageGroupId !== undefined ? 'MessageGroupId' : 'MessageDeduplicationId'} parameter that is not valid for this topic type`);
    }
    const messageId = randomUUID();
    topic.published.push({
      messageId, message, at: now(),
      ...(subject !== undefined ? { subject } : {}),
      ...(messageGroupId !== undefined ? { messageGroupId } : {}),
      ...(topic.fifo ? { deduplicationId } : {}),
    });
    return topic.fifo ? { MessageId: messageId, SequenceNumber: String(topic.published.length).padStart(20, '0') } : { MessageId: messageId };
  },
};

export const snsService: QueryService = {
  name: 'sns',
  signingName: 'sns',
  iamPrefix: 'sns',
  namespace: 'http://sns.amazonaws.com/doc/2010-03-31/',
  handlers,
};
