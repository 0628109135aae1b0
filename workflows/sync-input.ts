import { z } from 'zod';

// What a person types into the Temporal UI to start a sync or a janitor sweep: small, every
// field optional, unknown keys refused.

const site = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and hyphens, such as "contact-tracing"');
const configPath = z.string().startsWith('/', "must be an absolute path to a runbook.config.json on the worker's machine");

export const syncInputSchema = z.strictObject({
  site: site.optional(),
  localDir: z.string().min(1, 'must be a directory path (absolute, or relative to the site dir)').optional(),
  dryRun: z.boolean({ error: 'must be true or false' }).optional(),
  deleteExtraneous: z.boolean({ error: 'must be true or false' }).optional(),
  configPath: configPath.optional(),
  /**
   * Sync even when the local tree is unchanged since the last verified sync of the target:
   * provisions a server and lists the remote side again (someone may have changed it).
   */
  force: z.boolean({ error: 'must be true or false' }).optional(),
});

export type SyncInput = z.input<typeof syncInputSchema>;

export const janitorInputSchema = z.strictObject({
  site: site.optional(),
  configPath: configPath.optional(),
  /** Servers older than this are deleted even if their workflow still runs; default transfer.maxServerHours. */
  maxAgeHours: z.number({ error: 'must be a number of hours' }).positive('must be greater than 0').optional(),
  /** Report what would be deleted, delete nothing. */
  dryRun: z.boolean({ error: 'must be true or false' }).optional(),
});

export type JanitorInput = z.input<typeof janitorInputSchema>;
