import { CancellationScope, condition, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities as Acts } from '../activities/index.js';
import type { NotifyEvent } from '../activities/notify/notify-event.js';
import type { SiteConfig } from '../config/load.js';
import { Patches, type PatchId } from './patches.js';
import { innermostMessage } from './failure-message.js';

// Notifications go out beside the work, never in its way: each (event, channel) is its own
// activity, started and not awaited, so a slow or broken channel delays nothing; the workflow
// only waits for the stragglers, for a bounded time, when it ends. Nothing here runs (and no
// command is recorded) for a config without a `notify` section.

export interface NotificationDelivery {
  event: NotifyEvent['kind'];
  channel: string;
  state: 'sending' | 'sent' | 'failed';
  /** Why it failed, or what the channel answered. */
  detail: string | null;
}

/** What the status query and the result say about the run's notifications. */
export interface NotificationsView {
  sent: number;
  /** Channels with at least one message that did not go through. */
  failingChannels: string[];
  deliveries: NotificationDelivery[];
}

export interface Notifier {
  /**
   * Sends once per key per run; a second emit with the same key is ignored. `anyHost`: the news
   * is that the data host is gone, so any worker sends it rather than that host's.
   */
  emit(key: string, event: NotifyEvent, options?: { anyHost?: boolean }): void;
  /** Waits (bounded) for deliveries still in flight; cancelling the run does not cut it short. */
  settle(): Promise<void>;
  view(): NotificationsView;
}

type NotifySettings = Pick<SiteConfig, 'notify' | 'aws' | 'stateDir'>;

/**
 * The run's notifier, or undefined without channels. `patchId` marks the runs that notify, so a
 * replay of one started before this code keeps its history.
 */
export function createNotifier(config: NotifySettings, patchId: PatchId): Notifier | undefined {
  const notify = config.notify;
  if (!notify || !config.aws || !patched(patchId)) return undefined;
  const aws = { region: config.aws.region, ...(config.aws.endpoint ? { endpoint: config.aws.endpoint } : {}) };
  const attemptSeconds = notify.timeoutSeconds * 2 + 5;
  const { sendNotification, sendNotificationFromAnyHost } = proxyActivities<Acts>({
    // Reading the webhook secret and one request; a worker that died mid-attempt is noticed after this.
    startToCloseTimeout: `${attemptSeconds} seconds`,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: notify.attempts },
  });
  const settleLimitMs = notify.attempts * (attemptSeconds + 20) * 1000;
  const { workflowId, runId, namespace } = workflowInfo();
  const sentKeys = new Set<string>();
  const deliveries: NotificationDelivery[] = [];
  let inFlight = 0;

  return {
    emit(key, event, options) {
      if (sentKeys.has(key)) return;
      sentKeys.add(key);
      const send = options?.anyHost && patched(Patches.hostGoneNoticeFromAnyHost) ? sendNotificationFromAnyHost : sendNotification;
      for (const channel of notify.channels) {
        if (!channel.events.includes(event.kind)) continue;
        const target = channel.webhook ? { name: channel.name, webhook: channel.webhook } : { name: channel.name, snsTopicArn: channel.snsTopicArn as string };
        const delivery: NotificationDelivery = { event: event.kind, channel: channel.name, state: 'sending', detail: null };
        deliveries.push(delivery);
        inFlight += 1;
        // Not cancellable: a cancelled release still tells people what happened before it.
        void CancellationScope.nonCancellable(() =>
          send({
            eventId: `${workflowId}/${runId}/${key}`,
            event,
            channel: target,
            aws,
            stateDir: config.stateDir,
            timeoutSeconds: notify.timeoutSeconds,
            temporalUiUrl: notify.temporalUiUrl,
            namespace,
          }),
        ).then(
          (result) => {
            delivery.state = 'sent';
            delivery.detail = result.outcome === 'already-sent' ? `already sent: ${result.detail}` : result.detail;
          },
          (err: unknown) => {
            delivery.state = 'failed';
            delivery.detail = innermostMessage(err);
            log.warn('notification not delivered', { channel: channel.name, event: event.kind, error: delivery.detail });
          },
        ).finally(() => {
          inFlight -= 1;
        });
      }
    },
    async settle() {
      if (inFlight === 0) return;
      const settled = await CancellationScope.nonCancellable(() => condition(() => inFlight === 0, settleLimitMs));
      if (!settled) {
        for (const d of deliveries) if (d.state === 'sending') Object.assign(d, { state: 'failed', detail: 'still sending when the run ended' });
      }
    },
    view() {
      return {
        sent: deliveries.filter((d) => d.state === 'sent').length,
        failingChannels: [...new Set(deliveries.filter((d) => d.state === 'failed').map((d) => d.channel))],
        deliveries: deliveries.map((d) => ({ ...d })),
      };
    },
  };
}

