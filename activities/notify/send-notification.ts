import { activityInfo, cancellationSignal, CancelledFailure, heartbeat, log } from '@temporalio/activity';
import type { AwsClientFactory, AwsTarget } from '../aws/clients.js';
import { nonRetryable, retryable } from '../failures.js';
import { resolveSecretValue } from '../secrets/references.js';
import { DeliveryError } from './delivery-error.js';
import { emailMessage, renderEvent, slackPayload } from './format-message.js';
import type { ChannelTarget, NotifyEvent } from './notify-event.js';
import { postWebhook } from './post-webhook.js';
import { publishSns } from './publish-sns.js';
import { readSentRecord, sentRecordPath, writeSentRecord, type SentRecord } from './sent-record.js';

export interface SendNotificationInput {
  /** Derived from workflow id, run id and event: the same on every retry and replay. */
  eventId: string;
  event: NotifyEvent;
  channel: ChannelTarget;
  aws: AwsTarget;
  /** Where the sent records live (the site's state dir, on the host that runs the release). */
  stateDir: string;
  timeoutSeconds: number;
  /** Base of the links; the worker's TEMPORAL_UI_URL (or its dev server's UI) otherwise. */
  temporalUiUrl: string | undefined;
  namespace: string;
}

export interface SendNotificationResult {
  channel: string;
  /** `already-sent`: an earlier attempt delivered it; nothing was posted this time. */
  outcome: 'sent' | 'already-sent';
  detail: string;
}

/**
 * Sends one event to one channel, at most once: a record written before the request and after
 * its answer tells a retry whether the message is out (done), surely not out (send), or
 * perhaps out (give up and say so, rather than post twice).
 */
export async function sendNotification(aws: AwsClientFactory, defaultUiUrl: () => string, input: SendNotificationInput): Promise<SendNotificationResult> {
  const { eventId, channel } = input;
  const file = sentRecordPath(input.stateDir, eventId, channel.name);
  const earlier = await earlierAttempt(file, channel.name, input.event.kind);
  if (earlier) return earlier;
  const attempt = activityInfo().attempt;
  const record = (phase: SentRecord['phase'], detail: string | null): Promise<void> =>
    writeSentRecord(file, { eventId, channel: channel.name, phase, attempt, at: new Date().toISOString(), detail });

  const uiBase = (input.temporalUiUrl ?? defaultUiUrl()).replace(/\/$/, '');
  const message = renderEvent(input.event, (workflowId) => `${uiBase}/namespaces/${encodeURIComponent(input.namespace)}/workflows/${encodeURIComponent(workflowId)}`);
  const timeoutMs = input.timeoutSeconds * 1000;
  const clients = aws(input.aws);
  // The URL is read before the record says "sending": a missing secret sends nothing.
  const url = 'webhook' in channel ? await webhookUrl(clients, channel) : undefined;
  // An attempt the server gave up on may still be running here: whichever got further wins.
  const overtaken = await earlierAttempt(file, channel.name, input.event.kind);
  if (overtaken) return overtaken;
  heartbeat({ eventId, channel: channel.name });
  await record('sending', null);
  try {
    const detail =
      url !== undefined
        ? await postWebhook(url, slackPayload(message), timeoutMs, cancellationSignal())
        : await publishSns(clients.sns, (channel as { snsTopicArn: string }).snsTopicArn, emailMessage(message), { group: input.event.site, id: `${eventId}\n${channel.name}` }, timeoutMs, cancellationSignal());
    await record('sent', detail);
    log.info('notification sent', { eventId, channel: channel.name, detail });
    return { channel: channel.name, outcome: 'sent', detail };
  } catch (err) {
    if (!(err instanceof DeliveryError)) throw err;
    await record(err.mayBeDelivered ? 'unconfirmed' : 'refused', err.message);
    if (cancellationSignal().aborted) throw new CancelledFailure('notification cancelled');
    const sentence = `"${channel.name}" did not take ${input.event.kind}: ${err.message}.`;
    if (err.mayBeDelivered) throw nonRetryable('NotificationUnconfirmed', sentence, { channel: channel.name });
    if (err.permanent) throw nonRetryable('NotificationRejected', sentence, { channel: channel.name });
    throw retryable('NotificationRefused', sentence);
  }
}

/** What an earlier attempt's record settles: already sent (done), maybe sent (give up), or nothing. */
async function earlierAttempt(file: string, channel: string, kind: string): Promise<SendNotificationResult | undefined> {
  const previous = await readSentRecord(file);
  if (previous?.phase === 'sent') return { channel, outcome: 'already-sent', detail: previous.detail ?? 'sent earlier' };
  if (previous?.phase === 'sending' || previous?.phase === 'unconfirmed') {
    throw nonRetryable(
      'NotificationUnconfirmed',
      `"${channel}" may already have ${kind} (attempt ${previous.attempt} ${previous.phase === 'sending' ? 'ended before an answer came' : `got no answer: ${previous.detail ?? ''}`}); it is not sent again so nobody gets it twice.`,
      { channel },
    );
  }
  return undefined;
}

async function webhookUrl(clients: ReturnType<AwsClientFactory>, channel: Extract<ChannelTarget, { webhook: unknown }>): Promise<string> {
  const field = `notify.channels "${channel.name}" webhook`;
  const value = (await resolveSecretValue(clients, channel.webhook, field)).trim();
  // Never echo the value: a near-miss URL is still a credential.
  if (!/^https?:\/\/[^\s]+$/.test(value)) {
    throw nonRetryable('InvalidConfig', `${field} refers to a secret whose value is not an http(s) URL: store the incoming webhook URL itself in it.`, { field: 'notify.channels' });
  }
  return value;
}
