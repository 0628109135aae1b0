import { everyRegion } from './regions.js';
import type { SimState } from './state.js';

export interface LedgerServer {
  serverId: string;
  region: string;
  state: string;
  tags: Record<string, string>;
  createdAt: string;
  deletedAt: string | null;
  billedSeconds: number;
}

export interface Ledger {
  servers: LedgerServer[];
  /** Servers created and not yet deleted: what would still be on the bill. */
  alive: number;
  billedSeconds: number;
}

// Transfer bills every hour a server exists, stopped or not, so billing runs from creation to
// deletion.
export function buildLedger(state: SimState, at = Date.now()): Ledger {
  const servers = everyRegion(state).flatMap(([region, r]) => Object.values(r.transfer.servers).map((s) => ({ ...s, region })))
    .sort((a, b) => a.createdAt - b.createdAt)
    .map((s) => ({
      serverId: s.serverId,
      region: s.region,
      state: s.deletedAt === undefined ? s.state : 'DELETED',
      tags: Object.fromEntries(s.tags.map((t) => [t.Key, t.Value])),
      createdAt: new Date(s.createdAt).toISOString(),
      deletedAt: s.deletedAt === undefined ? null : new Date(s.deletedAt).toISOString(),
      billedSeconds: Math.max(0, ((s.deletedAt ?? at) - s.createdAt) / 1000),
    }));
  return {
    servers,
    alive: servers.filter((s) => s.deletedAt === null).length,
    billedSeconds: servers.reduce((sum, s) => sum + s.billedSeconds, 0),
  };
}
