import { log } from '@temporalio/activity';
import { nonRetryable } from '../failures.js';
import { tryUntilDeadline, type TryOutcome } from '../pause.js';

export interface SmokeCheckInput {
  /** Where the site is served: the environment's CNAME, or its EndpointURL (host:port) on the sim. */
  cname: string;
  path: string;
  timeoutSeconds: number;
}

export interface SmokeCheckResult {
  url: string;
  status: number;
  attempts: number;
  elapsedMs: number;
}

/**
 * GET the site (through its CNAME, or EndpointURL on the sim) until it answers 200, within the timeout: Green health means
 * the load balancer's check passes, not that the page a visitor opens does.
 */
export async function smokeCheck(input: SmokeCheckInput): Promise<SmokeCheckResult> {
  const url = /^https?:\/\//.test(input.cname) ? `${input.cname.replace(/\/$/, '')}${input.path}` : `http://${input.cname}${input.path}`;
  const began = Date.now();
  const { attempts } = await tryUntilDeadline(
    { timeoutSeconds: input.timeoutSeconds, stepMs: 2000, maxStepMs: 10_000, url },
    async (timeoutMs): Promise<TryOutcome<true>> => {
      try {
        const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
        const body = (await res.text()).slice(0, 200).replace(/\s+/g, ' ');
        if (res.status === 200) return { value: true };
        return { last: `HTTP ${res.status}${body ? `: ${body}` : ''}` };
      } catch (err) {
        return { last: (err as Error).name === 'TimeoutError' ? 'no answer within 15 s' : `${(err as Error).message}${(err as { cause?: Error }).cause ? ` (${(err as { cause?: Error }).cause?.message})` : ''}` };
      }
    },
    (tries, last) => nonRetryable('SmokeCheckFailed', `Smoke check GET ${url} did not answer 200 within ${input.timeoutSeconds} s (${tries} tries); last: ${last}.`, { url, last }),
  );
  log.info('smoke check passed', { url, attempts });
  return { url, status: 200, attempts, elapsedMs: Date.now() - began };
}
