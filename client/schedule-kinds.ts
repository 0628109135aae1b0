import type { z } from 'zod';
import type { ResolvedConfig } from '../config/load.js';
import { compileInputSchema } from '../workflows/inputs.js';
import { releaseInputSchema } from '../workflows/release-input.js';
import { janitorInputSchema } from '../workflows/sync-input.js';

export interface ScheduleKind {
  /** Fixed id prefix; the site follows it, so `create` twice updates one schedule per site. */
  scheduleId: string;
  workflowType: string;
  inputSchema: z.ZodType;
  /** Interval when neither --every nor --cron is given (the config may set it). */
  defaultEvery: (config: ResolvedConfig | undefined) => string;
  description: string;
}

/**
 * What `npm run schedule` manages; `release` or `compile` get their line here (a nightly cron,
 * say) and need nothing else.
 */
export const scheduleKinds = {
  release: {
    scheduleId: 'release-runbook-release',
    workflowType: 'releaseWorkflow',
    inputSchema: releaseInputSchema,
    // The weekly pipeline-then-restart that sites of this family run from cron or EventBridge.
    defaultEvery: () => '7d',
    description: 'the release on a schedule; with --input \'{"stages":["compile","sync","restart"]}\' a data-only refresh that needs no approval',
  },
  compile: {
    scheduleId: 'release-runbook-compile',
    workflowType: 'compileWorkflow',
    inputSchema: compileInputSchema,
    defaultEvery: () => '1d',
    description: 'the data compile and figure pickling on a schedule',
  },
  janitor: {
    scheduleId: 'release-runbook-janitor',
    workflowType: 'sftpJanitorWorkflow',
    inputSchema: janitorInputSchema,
    defaultEvery: (config) => `${config?.transfer?.janitorEveryMinutes ?? 15}m`,
    description: 'deletes runbook-tagged Transfer servers whose workflow is closed or that outlived transfer.maxServerHours',
  },
} satisfies Record<string, ScheduleKind>;

export type ScheduleKindName = keyof typeof scheduleKinds;

export function isScheduleKind(name: string): name is ScheduleKindName {
  return Object.hasOwn(scheduleKinds, name);
}

/** Every schedule this runbook creates has an id with this prefix; `list` shows only those. */
export const SCHEDULE_PREFIX = 'release-runbook-';

/** One schedule of a kind per site: `release-runbook-janitor-contact-tracing`. */
export function scheduleIdFor(kind: ScheduleKind, site: string): string {
  return `${kind.scheduleId}-${site}`;
}
