import { log } from '@temporalio/activity';
import { nonRetryable } from '../failures.js';
import { tryUntilDeadline, type TryOutcome } from '../pause.js';
import { fetchPage } from './fetch-page.js';
import type { WebsiteTarget } from './check-website-target.js';

export interface WebsiteSmokeResult {
  url: string;
  status: number;
  bytes: number;
  contentType: string | null;
  attempts: number;
}

/**
 * GET the website's smoke page until it answers 200 with a body, within website.smokeTimeoutSeconds.
 * The sync verified the objects; this checks what a visitor gets (a bucket policy that is not
 * public, Block Public Access, a wrong smokePath all answer 403/404 here).
 */
export async function smokeCheckWebsite(input: Pick<WebsiteTarget, 'url' | 'connectTo' | 'smokeTimeoutSeconds'>): Promise<WebsiteSmokeResult> {
  const { value: page, attempts } = await tryUntilDeadline(
    { timeoutSeconds: input.smokeTimeoutSeconds, stepMs: 1000, maxStepMs: 5000, url: input.url },
    async (timeoutMs): Promise<TryOutcome<Awaited<ReturnType<typeof fetchPage>>>> => {
      try {
        const page = await fetchPage(input.url, { timeoutMs, ...(input.connectTo ? { connectTo: input.connectTo } : {}) });
        if (page.status === 200 && page.body.length > 0) return { value: page };
        const said = page.body.toString('utf8').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160);
        return { last: `HTTP ${page.status}, ${page.body.length} bytes${said ? `: ${said}` : ''}` };
      } catch (err) {
        return { last: (err as Error).message };
      }
    },
    (tries, last) =>
      nonRetryable('WebsiteNotServed',
        `The website did not serve ${input.url} within ${input.smokeTimeoutSeconds} s (${tries} tries); last: ${last}. ` +
          'Check website.smokePath (it includes data.target.prefix), that the bucket policy lets "*" s3:GetObject, and that Block Public Access does not restrict it.',
        { url: input.url, last }),
  );
  log.info('website smoke check passed', { url: input.url, bytes: page.body.length, attempts });
  return { url: input.url, status: 200, bytes: page.body.length, contentType: page.contentType, attempts };
}
