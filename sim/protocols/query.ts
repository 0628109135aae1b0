import type { AwsError } from '../errors.js';

// The query protocol flattens structures into dotted names (`Tags.member.1.Key`); rebuilding
// the tree lets handlers read query and JSON requests through the same `Input`.
export function unflattenQuery(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [name, value] of params) {
    if (name === 'Action' || name === 'Version') continue;
    const tokens = name.split('.');
    const path: (string | number)[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i] as string;
      if ((token === 'member' || token === 'entry') && /^\d+$/.test(tokens[i + 1] ?? '')) {
        path.push(Number(tokens[i + 1]) - 1);
        i++;
      } else {
        path.push(token);
      }
    }
    let node: Record<string | number, unknown> = root;
    for (let i = 0; i < path.length; i++) {
      const key = path[i] as string | number;
      if (i === path.length - 1) {
        node[key] = value;
        break;
      }
      const nextIsIndex = typeof path[i + 1] === 'number';
      const existing = node[key];
      if (existing === undefined || typeof existing !== 'object' || existing === null) {
        node[key] = nextIsIndex ? [] : {};
      }
      node = node[key] as Record<string | number, unknown>;
    }
  }
  return compactArrays(root) as Record<string, unknown>;
}

// Sparse arrays from 1-based indexes become dense lists.
function compactArrays(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(compactArrays);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, compactArrays(v)]));
  }
  return value;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * Renders a JS value as query-protocol XML: arrays become `<member>` lists, Dates ISO-8601,
 * undefined members are left out.
 */
export function toXml(value: unknown, indent = ''): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${indent}<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function queryResponse(action: string, namespace: string, result: Record<string, unknown>, requestId: string): string {
  return `<${action}Response xmlns="${namespace}"><${action}Result>${toXml(result)}</${action}Result>`
    + `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function queryError(err: AwsError, requestId: string): string {
  const type = err.status >= 500 ? 'Receiver' : 'Sender';
  return `<ErrorResponse><Error><Type>${type}</Type><Code>${escapeXml(err.code)}</Code>`
    + `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
