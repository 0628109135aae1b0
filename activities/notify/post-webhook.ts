import { DeliveryError, networkFailure } from './delivery-error.js';

/**
 * Posts a Slack-compatible body to an incoming webhook. The URL is the credential: it is used
 * here and dropped, never logged or put in an error.
 */
export async function postWebhook(url: string, body: unknown, timeoutMs: number, cancelled: AbortSignal): Promise<string> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([timeout, cancelled]),
      redirect: 'error',
    });
  } catch (err) {
    throw networkFailure(err, timeout.aborted, 'the webhook');
  }
  let text = '';
  try {
    text = (await res.text()).slice(0, 200);
  } catch {
    // The status is what counts; a body cut off after it changes nothing.
  }
  if (res.ok) return `HTTP ${res.status}`;
  // Slack answers 4xx for a revoked or mistyped hook or a payload it refuses; trying again cannot help.
  const permanent = res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408;
  throw new DeliveryError(`the webhook answered HTTP ${res.status}${text ? ` (${text.replace(/\s+/g, ' ')})` : ''}`, false, permanent);
}
