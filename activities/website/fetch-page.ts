import { request } from 'node:http';

export interface FetchedPage {
  status: number;
  contentType: string | null;
  body: Buffer;
  /** The URL last asked for, after redirects. */
  url: string;
}

/**
 * GET a website page by its real URL; with `connectTo` ("host:port", the sim's website endpoint)
 * the request goes there and keeps the real host in its Host header, which is how the sim tells
 * buckets apart (fetch() cannot set Host). Redirects on the same host are followed, as a browser does.
 */
export async function fetchPage(url: string, opts: { connectTo?: string; timeoutMs: number; redirects?: number }): Promise<FetchedPage> {
  const target = new URL(url);
  const [connectHost, connectPort] = opts.connectTo ? [opts.connectTo.replace(/:\d+$/, ''), Number(/:(\d+)$/.exec(opts.connectTo)?.[1] ?? 80)] : [target.hostname, Number(target.port || 80)];
  const page = await new Promise<FetchedPage & { location?: string }>((resolve, reject) => {
    const req = request(
      { host: connectHost, port: connectPort, path: `${target.pathname}${target.search}`, method: 'GET', headers: { host: target.host }, timeout: opts.timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'] ?? null,
          body: Buffer.concat(chunks),
          url,
          ...(res.headers.location ? { location: res.headers.location } : {}),
        }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${Math.round(opts.timeoutMs / 1000)} s`), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end();
  });
  const left = opts.redirects ?? 3;
  if ([301, 302, 307, 308].includes(page.status) && page.location && left > 0) {
    const next = new URL(page.location, target);
    if (next.host === target.host) return fetchPage(next.toString(), { ...opts, redirects: left - 1 });
  }
  const { location: _location, ...rest } = page;
  return rest;
}
