import type { ActivityDeps } from '../index.js';
import { temporalSettings, temporalUiUrl } from '../../worker/settings.js';
import { sendNotification, type SendNotificationInput } from './send-notification.js';

export function createNotifyActivities(deps: ActivityDeps) {
  const uiUrl = (): string => deps.temporalUiUrl ?? temporalUiUrl(temporalSettings());
  return { sendNotification: (input: SendNotificationInput) => sendNotification(deps.aws, uiUrl, input) };
}
