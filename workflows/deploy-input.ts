import { z } from 'zod';
import { configPath, site } from './inputs.js';

// What a person types into the Temporal UI to deploy: everything optional, the rest from config.
export const deployInputSchema = z.strictObject({
  site: site.optional(),
  imageTag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a Docker tag such as "2024-06-01" or "latest"').optional(),
  skipBuild: z.boolean({ error: 'must be true or false' }).optional(),
  autoApprove: z.boolean({ error: 'must be true or false' }).optional(),
  restartOnly: z.boolean({ error: 'must be true or false' }).optional(),
  configPath: configPath.optional(),
});

export type DeployInput = z.input<typeof deployInputSchema>;
