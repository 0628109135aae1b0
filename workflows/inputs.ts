import { z } from 'zod';
import { ApplicationFailure } from '@temporalio/workflow';

// Workflow inputs are what a person types into the Temporal UI: small, every field optional,
// unknown keys refused (a typo like "skipFigure" must not be silently ignored).

export const site = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and hyphens, such as "contact-tracing"');
export const configPath = z.string().startsWith('/', 'must be an absolute path to a runbook.config.json on the worker\'s machine');

export const compileInputSchema = z.strictObject({
  site: site.optional(),
  steps: z.array(z.string().min(1), { error: 'must be a list of step names, such as ["compile"]' }).optional(),
  skipFigures: z.boolean({ error: 'must be true or false' }).optional(),
  configPath: configPath.optional(),
});

export type CompileInput = z.input<typeof compileInputSchema>;

/** Validates a workflow input; a bad one fails the workflow at once, naming the field and the fix. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, workflow: string): z.output<T> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || '(input)';
  let message = issue?.message ?? 'invalid';
  const whole = issue?.path.length === 0;
  if (issue?.code === 'unrecognized_keys') message = `has unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}: remove it or fix its spelling`;
  else if (whole && issue?.code === 'invalid_type') {
    // What the UI sends when someone types "contact-tracing" or [..] instead of an object.
    const got = Array.isArray(input) ? 'a list' : input === null ? 'null' : `a ${typeof input}`;
    message = `must be a JSON object such as {"site": "contact-tracing"} (or {}), not ${got}`;
  } else if (issue?.code === 'invalid_type' && message.startsWith('Invalid input')) message = `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
  const sentence = issue?.code === 'unrecognized_keys' || whole ? `${workflow} input ${message}.` : `${workflow} input field "${field}" ${message}.`;
  throw ApplicationFailure.create({ type: 'InvalidInput', message: sentence, nonRetryable: true, details: [{ field }] });
}
