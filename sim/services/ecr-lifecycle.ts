import { AwsError } from '../errors.js';
import type { EcrImage } from '../state.js';

// ECR lifecycle policies as far as a release needs them: rules by priority, each selecting by tag
// status (and tag prefixes) and expiring beyond a count or an age. Each image answers to the
// first rule that selects it, as ECR evaluates them.

export interface LifecycleRule {
  rulePriority: number;
  tagStatus: 'any' | 'tagged' | 'untagged';
  tagPrefixList: string[];
  countType: 'imageCountMoreThan' | 'sinceImagePushed';
  countNumber: number;
}

const invalid = (why: string): AwsError =>
  new AwsError('InvalidParameterException', `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${why}'`);

export function parseLifecyclePolicy(text: string): LifecycleRule[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('Could not parse the policy as JSON.');
  }
  const rules = (parsed as { rules?: unknown }).rules;
  if (!Array.isArray(rules) || rules.length === 0) throw invalid('object has missing required properties (["rules"])');
  const out = rules.map((raw: Record<string, unknown>) => {
    const selection = (raw.selection ?? {}) as Record<string, unknown>;
    const action = (raw.action ?? {}) as Record<string, unknown>;
    const priority = raw.rulePriority;
    if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < 1) throw invalid('rulePriority must be a positive integer.');
    if (action.type !== 'expire') throw invalid(`instance value ("${String(action.type)}") not found in enum (possible values: ["expire"])`);
    const tagStatus = selection.tagStatus;
    if (tagStatus !== 'any' && tagStatus !== 'tagged' && tagStatus !== 'untagged') throw invalid(`instance value ("${String(tagStatus)}") not found in enum (possible values: ["tagged","untagged","any"])`);
    const countType = selection.countType;
    if (countType !== 'imageCountMoreThan' && countType !== 'sinceImagePushed') throw invalid(`instance value ("${String(countType)}") not found in enum (possible values: ["imageCountMoreThan","sinceImagePushed"])`);
    if (countType === 'sinceImagePushed' && selection.countUnit !== 'days') throw invalid('countUnit must be "days" with sinceImagePushed.');
    const countNumber = selection.countNumber;
    if (typeof countNumber !== 'number' || !Number.isInteger(countNumber) || countNumber < 1) throw invalid('countNumber must be a positive integer.');
    const prefixes = Array.isArray(selection.tagPrefixList) ? (selection.tagPrefixList as string[]) : [];
    if (tagStatus === 'tagged' && prefixes.length === 0 && !Array.isArray(selection.tagPatternList)) throw invalid('tagPrefixList or tagPatternList is required when tagStatus is tagged.');
    return { rulePriority: priority, tagStatus, tagPrefixList: prefixes, countType, countNumber } satisfies LifecycleRule;
  });
  if (new Set(out.map((r) => r.rulePriority)).size !== out.length) throw invalid('rulePriority values must be unique.');
  return out.sort((a, b) => a.rulePriority - b.rulePriority);
}

function selects(rule: LifecycleRule, image: EcrImage): boolean {
  if (rule.tagStatus === 'untagged') return image.tags.length === 0;
  if (rule.tagStatus === 'tagged') return image.tags.some((t) => rule.tagPrefixList.some((p) => t.startsWith(p)));
  return true;
}

/** The images a lifecycle run leaves. */
export function applyLifecyclePolicy(rules: LifecycleRule[], images: EcrImage[], nowMs: number): EcrImage[] {
  const claimed = new Set<EcrImage>();
  const expired = new Set<EcrImage>();
  for (const rule of rules) {
    const mine = images.filter((i) => !claimed.has(i) && selects(rule, i)).sort((a, b) => b.pushedAt - a.pushedAt);
    for (const image of mine) claimed.add(image);
    const doomed = rule.countType === 'imageCountMoreThan'
      ? mine.slice(rule.countNumber)
      : mine.filter((i) => nowMs - i.pushedAt > rule.countNumber * 86_400_000);
    for (const image of doomed) expired.add(image);
  }
  return images.filter((i) => !expired.has(i));
}
