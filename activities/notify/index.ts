import type { ActivityDeps } from '../index.js';
import { temporalSettings, temporalUiUrl } from '../../worker/settings.js';
import { sendNotification, type SendNotificationInput } from './send-notification.js';

export function createNotifyActivities(deps: ActivityDeps) {
  const uiUrl = (): string => deps.temporalUiUrl ?? temporalUiUrl(temporalSettings());
  const send = (input: SendNotificationInput) => sendNotification(deps.aws, uiUrl, input);
  // The same sender under a host-free name, for news about the data host itself (its worker is
  // gone): its sent records are on whichever host sends it, which a retry there still reads.
  return { sendNotification: send, sendNotificationFromAnyHost: send };
}
