import { createHash } from 'node:crypto';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { awsErrorCode, isThrottling } from '../aws/errors.js';
import { DeliveryError, networkFailure } from './delivery-error.js';

/**
 * Publishes to the site's topic. A FIFO topic also gets a deduplication id from the event, so
 * SNS itself drops a second copy; a standard topic relies on the sent record alone.
 */
export async function publishSns(
  sns: SNSClient,
  topicArn: string,
  message: { subject: string; message: string },
  dedupKey: { group: string; id: string },
  timeoutMs: number,
  cancelled: AbortSignal,
): Promise<string> {
  const fifo = topicArn.endsWith('.fifo');
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const out = await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: message.subject,
        Message: message.message,
        ...(fifo ? { MessageGroupId: dedupKey.group, MessageDeduplicationId: createHash('sha256').update(dedupKey.id).digest('hex').slice(0, 128) } : {}),
      }),
      { abortSignal: AbortSignal.any([timeout, cancelled]) },
    );
    return `MessageId ${out.MessageId ?? '?'}`;
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const code = awsErrorCode(err);
    // SNS answers errors, throttling included, only for messages it did not accept.
    if (status !== undefined && (status >= 500 || isThrottling(err))) throw new DeliveryError(`SNS answered ${code} (HTTP ${status})`, false, false);
    // NotFound, AuthorizationError, InvalidParameter: fix the topic or the worker's policy.
    if (status !== undefined) throw new DeliveryError(`SNS refused the message to ${topicArn} (${code}: ${err instanceof Error ? err.message : String(err)})`, false, true);
    throw networkFailure(err, timeout.aborted, `SNS (${topicArn})`);
  }
}
