import type { IncomingMessage } from 'node:http';
import { emptyRegion, type RegionalState, type SimState } from './state.js';
import type { SimContext } from './context.js';

/** The region a request was signed for (SigV4 credential scope, header or query form). */
export function requestRegion(req: IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization ?? '';
  const fromHeader = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(auth)?.[1];
  const fromQuery = /^[^/]+\/\d{8}\/([^/]+)\//.exec(url.searchParams.get('X-Amz-Credential') ?? '')?.[1];
  return fromHeader ?? fromQuery;
}

/** The resources of the request's region, made on first use. */
export function regional(ctx: Pick<SimContext, 'store' | 'region'>): RegionalState {
  const regions = ctx.store.state.regions;
  regions[ctx.region] ??= emptyRegion();
  return regions[ctx.region] as RegionalState;
}

/** Every region that holds something, for the parts of the sim that serve all of them (SFTP, ledger). */
export function everyRegion(state: SimState): [string, RegionalState][] {
  return Object.entries(state.regions);
}
