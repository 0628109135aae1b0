import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { advanceWorld } from '../world.js';
import { everyRegion } from '../regions.js';
import type { EbEnvironment, SimState } from '../state.js';
import type { SimContext } from '../context.js';

/**
 * One loopback HTTP port per Beanstalk environment, standing in for the app behind the
 * environment's EndpointURL so a smoke check has something real to hit: 200 while healthy, 503 when
 * Red or not yet launched.
 */
export class EnvironmentListeners {
  private readonly servers = new Map<string, Server>();

  constructor(private readonly ctx: SimContext, private readonly host: string) {}

  async ensure(environmentId: string): Promise<number> {
    const existing = this.servers.get(environmentId);
    if (existing) return (existing.address() as AddressInfo).port;
    const env = findEnvironment(this.ctx.store.state, environmentId);
    const server = createServer((req, res) => {
      advanceWorld(this.ctx);
      const current = findEnvironment(this.ctx.store.state, environmentId);
      const healthy = current !== undefined && current.health !== 'Red' && current.status !== 'Launching'
        && current.status !== 'Terminated' && current.status !== 'Terminating';
      const body = JSON.stringify({
        environmentName: current?.environmentName, versionLabel: current?.versionLabel, health: current?.health, path: req.url,
        platform: current?.solutionStackName ?? current?.platformArn, app: current?.app?.entry,
      });
      // An app that never started sits behind nginx, which answers 502 Bad Gateway.
      const up = current !== undefined && !['Launching', 'Terminated', 'Terminating'].includes(current.status);
      const status = up && current.app?.down ? 502 : healthy ? 200 : 503;
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    server.keepAliveTimeout = 1000;
    // Reuse the port a restarted sim had, so an EndpointURL reported before the restart still works.
    const wanted = env?.port ?? 0;
    const port = await listen(server, this.host, wanted).catch(() => listen(server, this.host, 0));
    this.servers.set(environmentId, server);
    return port;
  }

  async close(environmentId: string): Promise<void> {
    const server = this.servers.get(environmentId);
    if (!server) return;
    this.servers.delete(environmentId);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((id) => this.close(id)));
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Environment ids are unique across regions, so a listener finds its environment by id alone. */
export function findEnvironment(state: SimState, environmentId: string): EbEnvironment | undefined {
  for (const [, region] of everyRegion(state)) {
    const env = region.eb.environments[environmentId];
    if (env) return env;
  }
  return undefined;
}
