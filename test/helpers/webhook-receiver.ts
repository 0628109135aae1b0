import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the receiver answers one request: 200, another status, never (a hang), or when the test says. */
export type Answer = 'ok' | number | 'hang' | 'hold';

export interface ReceivedPost {
  at: number;
  path: string;
  body: { text?: string; blocks?: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text: string }[] }[] };
  /** What it was answered; null while held or hung. */
  answered: number | null;
}

export interface WebhookReceiver {
  /** The hook's URL: what the secret holds. */
  url: string;
  received: ReceivedPost[];
  /** Posts answered 2xx: what Slack would have shown. */
  accepted(): ReceivedPost[];
  /** Answers for the next requests, in order; after them, `then`. */
  plan(answers: Answer[], then?: Answer): void;
  /** Answers every held request with 200. */
  releaseHeld(): void;
  close(): Promise<void>;
}

/** All the text of a Slack payload, blocks included, as a person reads it. */
export function slackText(post: ReceivedPost): string {
  const parts = [post.body.text ?? ''];
  for (const block of post.body.blocks ?? []) {
    if (block.text) parts.push(block.text.text);
    for (const f of block.fields ?? []) parts.push(f.text);
    for (const e of block.elements ?? []) parts.push(e.text);
  }
  return parts.join('\n');
}

/** A Slack-compatible incoming webhook on loopback that records every post and answers as planned. */
export async function startWebhookReceiver(pathToken: string): Promise<WebhookReceiver> {
  let answers: Answer[] = [];
  let fallback: Answer = 'ok';
  const received: ReceivedPost[] = [];
  const held: { post: ReceivedPost; res: ServerResponse }[] = [];
  const open = new Set<ServerResponse>();
  const answer = (post: ReceivedPost, res: ServerResponse, status: number): void => {
    post.answered = status;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'internal_error');
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const post: ReceivedPost = { at: Date.now(), path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as ReceivedPost['body'], answered: null };
      received.push(post);
      if (req.url !== `/services/${pathToken}`) return answer(post, res, 404);
      const next = answers.shift() ?? fallback;
      if (next === 'hang') {
        open.add(res);
        return;
      }
      if (next === 'hold') {
        held.push({ post, res });
        return;
      }
      answer(post, res, next === 'ok' ? 200 : next);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/services/${pathToken}`,
    received,
    accepted: () => received.filter((p) => p.answered !== null && p.answered >= 200 && p.answered < 300),
    plan: (next, then = 'ok') => {
      answers = [...next];
      fallback = then;
    },
    releaseHeld: () => {
      for (const { post, res } of held.splice(0)) if (!res.destroyed) answer(post, res, 200);
    },
    close: async () => {
      for (const res of open) res.destroy();
      for (const { res } of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
