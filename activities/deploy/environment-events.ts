import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DescribeEventsCommand, type ElasticBeanstalkClient, type EventDescription } from '@aws-sdk/client-elastic-beanstalk';

/** Where the event stream has got to: the newest event time and the events seen at that time. */
export interface EventCursor {
  at: number;
  keys: string[];
}

export interface EnvironmentEvent {
  at: number;
  severity: string;
  message: string;
}

const key = (e: EventDescription): string => `${e.EventDate?.getTime() ?? 0}|${e.RequestId ?? ''}|${e.Message ?? ''}`;

/**
 * Events newer than the cursor, oldest first. DescribeEvents' StartTime is inclusive and many
 * events share a timestamp, so those already seen at the cursor's time are skipped by key.
 */
export async function newEvents(eb: ElasticBeanstalkClient, opts: { application: string; environment: string; cursor: EventCursor }): Promise<{ events: EnvironmentEvent[]; cursor: EventCursor }> {
  const out = await eb.send(
    new DescribeEventsCommand({
      ApplicationName: opts.application,
      EnvironmentName: opts.environment,
      StartTime: new Date(opts.cursor.at),
      MaxRecords: 100,
    }),
  );
  const seen = new Set(opts.cursor.keys);
  const fresh = (out.Events ?? [])
    .filter((e) => !seen.has(key(e)))
    .sort((a, b) => (a.EventDate?.getTime() ?? 0) - (b.EventDate?.getTime() ?? 0));
  if (fresh.length === 0) return { events: [], cursor: opts.cursor };
  const at = Math.max(opts.cursor.at, ...fresh.map((e) => e.EventDate?.getTime() ?? 0));
  const keysAtCursor = [...(at === opts.cursor.at ? opts.cursor.keys : []), ...fresh.filter((e) => (e.EventDate?.getTime() ?? 0) === at).map(key)];
  return {
    events: fresh.map((e) => ({ at: e.EventDate?.getTime() ?? 0, severity: e.Severity ?? 'INFO', message: e.Message ?? '' })),
    cursor: { at, keys: keysAtCursor.slice(-50) },
  };
}

export function formatEvent(e: EnvironmentEvent): string {
  return `${new Date(e.at).toISOString()} ${e.severity.padEnd(5)} ${e.message}`;
}

/** Events go to a log on disk; history and heartbeats carry only the last few. */
export async function appendEvents(logPath: string, events: EnvironmentEvent[]): Promise<void> {
  if (events.length === 0) return;
  await mkdir(path.dirname(logPath), { recursive: true });
  await appendFile(logPath, events.map((e) => `${formatEvent(e)}\n`).join(''));
}
