import { z } from 'zod';
import { configPath, site } from './inputs.js';

export const releaseStages = ['compile', 'figures', 'sync', 'image', 'deploy', 'restart', 'website'] as const;
export type ReleaseStage = (typeof releaseStages)[number];

/** The reference runbook, start to finish. */
export const defaultReleaseStages: ReleaseStage[] = ['compile', 'figures', 'sync', 'image', 'deploy'];

/**
 * A static website on S3 with no Beanstalk environment (the HTAN dashboard): the pipeline, the
 * website sync, the check of the page a visitor opens, and the pipeline image when there is one.
 */
export function websiteReleaseStages(config: { image?: unknown }): ReleaseStage[] {
  return ['compile', 'figures', 'sync', 'website', ...(config.image ? (['image'] as const) : [])];
}

// `{}` typed into the Temporal UI is a whole release; every field narrows it.
export const releaseInputSchema = z
  .strictObject({
    site: site.optional(),
    stages: z
      .array(z.enum(releaseStages, { error: `must each be one of ${releaseStages.map((s) => `"${s}"`).join(', ')}` }), {
        error: 'must be a list of stages, such as ["compile", "sync", "restart"]',
      })
      .min(1, 'must name at least one stage')
      .optional(),
    autoApprove: z.boolean({ error: 'must be true or false' }).optional(),
    dryRun: z.boolean({ error: 'must be true or false' }).optional(),
    configPath: configPath.optional(),
    /** Who started it, for the "release started" notification; the CLI fills in the login name. */
    requestedBy: z.string({ error: 'must be the name of the person starting the release' }).trim().min(1, 'must name the person starting the release').max(100).optional(),
  })
  .superRefine((input, ctx) => {
    const stages = input.stages ?? [];
    if (stages.includes('deploy') && stages.includes('restart')) {
      ctx.addIssue({ code: 'custom', path: ['stages'], message: 'cannot hold both "deploy" and "restart": a deploy already restarts the app; keep one' });
    }
    if (stages.includes('image') && !stages.includes('deploy') && !stages.includes('website')) {
      ctx.addIssue({ code: 'custom', path: ['stages'], message: 'holds "image" without "deploy" or "website": the image is built for a deploy (or pushed as a website\'s pipeline image); add one of them or drop "image"' });
    }
  });

export type ReleaseInput = z.input<typeof releaseInputSchema>;
