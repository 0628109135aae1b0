import type { AwsError } from './errors.js';

// Opaque tokens that encode an offset, like AWS's opaque ones: callers must pass them back
// unchanged, and a forged or stale token is rejected rather than silently restarting.
export function paginate<T>(
  items: T[], maxResults: number, token: string | undefined, invalidToken: () => AwsError,
): { page: T[]; next?: string } {
  let offset = 0;
  if (token !== undefined && token !== '') {
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
      if (typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0) throw new Error('bad offset');
      offset = parsed.o;
    } catch {
      throw invalidToken();
    }
  }
  const page = items.slice(offset, offset + maxResults);
  const end = offset + page.length;
  return end < items.length
    ? { page, next: Buffer.from(JSON.stringify({ o: end })).toString('base64url') }
    : { page };
}
