// IAM policy evaluation, as much as the runbook's policy needs: Allow/Deny, Action/NotAction,
// Resource/NotResource with wildcards, and string/ARN/bool conditions. An explicit Deny wins;
// anything not allowed is denied.

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

export type Decision = 'allowed' | 'explicitDeny' | 'implicitDeny';

export interface Evaluation {
  decision: Decision;
  /** The statements that decided it (the Deny, or every Allow that matched). */
  matched: { index: number; sid?: string }[];
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function glob(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

const actionMatches = (patterns: string[], action: string): boolean => patterns.some((p) => glob(p, action, true));
const resourceMatches = (patterns: string[], resource: string): boolean => patterns.some((p) => glob(p, resource, false));

function conditionHolds(condition: PolicyStatement['Condition'], context: Record<string, string>): boolean {
  if (!condition) return true;
  return Object.entries(condition).every(([operator, keys]) => Object.entries(keys).every(([key, wanted]) => {
    const ifExists = operator.endsWith('IfExists');
    const op = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
    const actual = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
    if (actual === undefined) return ifExists;
    const values = list(wanted);
    switch (op) {
      case 'StringEquals': case 'ArnEquals': return values.includes(actual);
      case 'StringNotEquals': case 'ArnNotEquals': return !values.includes(actual);
      case 'StringEqualsIgnoreCase': return values.some((v) => v.toLowerCase() === actual.toLowerCase());
      case 'StringLike': case 'ArnLike': return values.some((v) => glob(v, actual, false));
      case 'StringNotLike': case 'ArnNotLike': return !values.some((v) => glob(v, actual, false));
      case 'Bool': return values.includes(actual);
      // An operator the sim does not know never grants anything.
      default: return false;
    }
  }));
}

function statementApplies(s: PolicyStatement, action: string, resource: string, context: Record<string, string>): boolean {
  const actionOk = s.Action !== undefined ? actionMatches(list(s.Action), action) : !actionMatches(list(s.NotAction), action);
  const resourceOk = s.Resource !== undefined ? resourceMatches(list(s.Resource), resource) : !resourceMatches(list(s.NotResource), resource);
  return actionOk && resourceOk && conditionHolds(s.Condition, context);
}

export function statements(policy: PolicyDocument): PolicyStatement[] {
  return Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
}

export function evaluate(policy: PolicyDocument, action: string, resource: string, context: Record<string, string> = {}): Evaluation {
  const applying = statements(policy).map((s, index) => ({ s, index })).filter(({ s }) => statementApplies(s, action, resource, context));
  const deny = applying.find(({ s }) => s.Effect === 'Deny');
  if (deny) return { decision: 'explicitDeny', matched: [{ index: deny.index, sid: deny.s.Sid }] };
  const allows = applying.filter(({ s }) => s.Effect === 'Allow');
  if (allows.length > 0) return { decision: 'allowed', matched: allows.map(({ s, index }) => ({ index, sid: s.Sid })) };
  return { decision: 'implicitDeny', matched: [] };
}

export const ALLOW_ALL: PolicyDocument = { Version: '2012-10-17', Statement: [{ Sid: 'SimDefaultAllowAll', Effect: 'Allow', Action: '*', Resource: '*' }] };
