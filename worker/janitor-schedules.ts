import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { loadConfig } from '../config/load.js';
import type { ServedSite } from '../config/sites.js';
import { scheduleIdFor, scheduleKinds } from '../client/schedule-kinds.js';
import { upsertSchedule } from '../client/upsert-schedule.js';

export interface EnsuredJanitor {
  site: string;
  scheduleId: string;
  every: string | null;
  /** 'created' or 'updated'; 'skipped' when the site makes no Transfer servers (why says so). */
  outcome: 'created' | 'updated' | 'skipped';
  why?: string;
}

/**
 * A terminated sync runs no teardown, and only the janitor then stops its server billing: so
 * the worker itself makes sure every site it serves has the janitor schedule, at each start
 * (an upsert: the interval follows the site's transfer.janitorEveryMinutes).
 */
export async function ensureJanitorSchedules(client: Client, taskQueue: string, sites: ServedSite[]): Promise<EnsuredJanitor[]> {
  const kind = scheduleKinds.janitor;
  const out: EnsuredJanitor[] = [];
  // The one janitor schedule of earlier versions stored a client's absolute config path, which
  // fails on every other machine; the per-site schedules below replace it.
  if (sites.length > 0) {
    await client.schedule
      .getHandle(kind.scheduleId)
      .delete()
      .catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
  }
  for (const served of sites) {
    const config = await loadConfig(served.configPath);
    const scheduleId = scheduleIdFor(kind, served.site);
    if (config.site !== served.site) {
      throw new Error(`Site list entry "${served.site}" points at ${served.configPath}, whose "site" is "${config.site}": make the two names match.`);
    }
    if (!config.transfer || !config.aws) {
      out.push({ site: served.site, scheduleId, every: null, outcome: 'skipped', why: `no ${config.transfer ? '"aws"' : '"transfer"'} section: this site makes no Transfer servers` });
      continue;
    }
    const every = kind.defaultEvery(config);
    const outcome = await upsertSchedule(client, taskQueue, kind, served.site, { intervals: [{ every }] }, {});
    out.push({ site: served.site, scheduleId, every, outcome });
  }
  return out;
}
