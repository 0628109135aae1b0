import type { z } from 'zod';

/** Dotted path as a person would write it: `compile.steps[0].command`. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(top level)';
}

/** One sentence per issue, naming the field and what it must be. */
export function describeIssue(issue: z.core.$ZodIssue): { field: string; sentence: string } {
  const field = fieldPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? ` in ${field}` : '';
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return { field: issue.keys[0] ?? field, sentence: `unknown key ${keys}${where}: remove it or fix its spelling` };
  }
  let message = issue.message;
  if (issue.code === 'invalid_type' && message.startsWith('Invalid input')) {
    const what = `${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    message = /received undefined/.test(message) ? `is required (${what})` : `must be ${what}`;
  } else if (issue.code === 'invalid_value' && message.startsWith('Invalid')) {
    message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (message.startsWith('Too small') || message.startsWith('Too big') || message.startsWith('Invalid')) {
    message = message.replace(/^Invalid input: /, '').replace(/^Too (small|big): expected \w+ to (have )?/, 'must be ');
  }
  return { field, sentence: `${field} ${message}` };
}

/** The first issue as a sentence, with how many more there are. */
export function summarizeIssues(error: z.ZodError, prefix: string): { field: string; message: string } {
  const [first, ...rest] = error.issues;
  if (!first) return { field: '(unknown)', message: `${prefix}: invalid` };
  const { field, sentence } = describeIssue(first);
  const more = rest.length ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''}: ${rest.map((i) => describeIssue(i).sentence).join('; ')})` : '';
  return { field, message: `${prefix}: ${sentence}${more}.` };
}
