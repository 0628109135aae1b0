import { createHash } from 'node:crypto';
import path from 'node:path';
import { readJsonFileStrict, writeJsonFile } from '../json-file.js';

// A message is posted at most once per event and channel: the record is written (and synced)
// before the request leaves and after it is answered, so a retry on any attempt, or after a
// worker died mid-request, knows whether a message may already be out.

export type SentPhase =
  /** A request may be in flight; if the record stays here, the sender died not knowing. */
  | 'sending'
  | 'sent'
  /** The receiver answered and did not take it: another attempt may send. */
  | 'refused'
  /** No answer in time: it may have been delivered, so it is never sent again. */
  | 'unconfirmed';

export interface SentRecord {
  eventId: string;
  channel: string;
  phase: SentPhase;
  attempt: number;
  at: string;
  detail: string | null;
}

export function sentRecordPath(stateDir: string, eventId: string, channel: string): string {
  const key = createHash('sha256').update(`${eventId}\n${channel}`).digest('hex').slice(0, 32);
  return path.join(stateDir, 'notifications', `${key}.json`);
}

export function readSentRecord(file: string): Promise<SentRecord | undefined> {
  return readJsonFileStrict<SentRecord>(file);
}

/** Replaces the record atomically and durably: a crash leaves the old record or the new one. */
export function writeSentRecord(file: string, record: SentRecord): Promise<void> {
  return writeJsonFile(file, record, { durable: true });
}
