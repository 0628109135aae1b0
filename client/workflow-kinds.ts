import type { z } from 'zod';
import { compileInputSchema } from '../workflows/inputs.js';
import { deployInputSchema } from '../workflows/deploy-input.js';
import { janitorInputSchema, syncInputSchema } from '../workflows/sync-input.js';
import { releaseInputSchema } from '../workflows/release-input.js';

/** What `start-workflow <kind>` can start; each later workflow adds its line here. */
export const workflowKinds = {
  release: { workflowType: 'releaseWorkflow', inputSchema: releaseInputSchema },
  compile: { workflowType: 'compileWorkflow', inputSchema: compileInputSchema },
  deploy: { workflowType: 'deployWorkflow', inputSchema: deployInputSchema },
  sync: { workflowType: 'syncDataWorkflow', inputSchema: syncInputSchema },
  janitor: { workflowType: 'sftpJanitorWorkflow', inputSchema: janitorInputSchema },
} satisfies Record<string, { workflowType: string; inputSchema: z.ZodType }>;

export type WorkflowKind = keyof typeof workflowKinds;

export function isWorkflowKind(name: string): name is WorkflowKind {
  return Object.hasOwn(workflowKinds, name);
}
