import { everyRegion } from './regions.js';
import type { SimState } from './state.js';

/** One message an SNS topic accepted, as a subscriber would be sent it. */
export interface PublishedMessage {
  region: string;
  topicArn: string;
  messageId: string;
  subject: string | null;
  message: string;
  at: string;
}

/** Every accepted Publish in every region, oldest first: what tests check notifications against. */
export function publishedMessages(state: SimState): PublishedMessage[] {
  const out: PublishedMessage[] = [];
  for (const [region, regional] of everyRegion(state)) {
    for (const topic of Object.values(regional.sns.topics)) {
      for (const p of topic.published) {
        out.push({ region, topicArn: topic.arn, messageId: p.messageId, subject: p.subject ?? null, message: p.message, at: new Date(p.at).toISOString() });
      }
    }
  }
  return out.sort((a, b) => a.at.localeCompare(b.at));
}
