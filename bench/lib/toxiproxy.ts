import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './sshd.js';

export const TOXIPROXY_VERSION = 'v2.12.0';
/** Where `go install` puts the server binary (the module's cmd/server is named "server"). */
export const toxiproxyBin = path.join(os.homedir(), '.cache', 'release-runbook', `toxiproxy-${TOXIPROXY_VERSION.slice(1)}`, 'server');

export function missingToxiproxy(): string | undefined {
  if (existsSync(toxiproxyBin)) return undefined;
  return `missing ${toxiproxyBin}: build it with \`GOBIN=${path.dirname(toxiproxyBin)} go install github.com/Shopify/toxiproxy/v2/cmd/server@${TOXIPROXY_VERSION}\` (from the Go module proxy; not needed by npm test)`;
}

/** The WAN profile: one-way latency and a bandwidth cap, both directions, per TCP connection. */
export interface WanProfile {
  latencyMs: number;
  /** Toxiproxy's bandwidth toxic rate, KB/s (its unit: 1000 bytes). */
  rateKBps: number;
}

export const WAN: WanProfile = { latencyMs: 25, rateKBps: 25_000 };

export interface RunningToxiproxy {
  /** The port that looks like the internet; it forwards to the upstream port. */
  port: number;
  stop(): Promise<void>;
}

/** Toxiproxy's server on loopback with one proxy in front of `upstreamPort`, toxics on both directions. */
export async function startWanProxy(upstreamPort: number, profile: WanProfile = WAN): Promise<RunningToxiproxy> {
  const apiPort = await freePort();
  const port = await freePort();
  const child: ChildProcess = spawn(toxiproxyBin, ['-host', '127.0.0.1', '-port', String(apiPort)], { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const api = async (method: string, p: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${p}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`toxiproxy ${method} ${p}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await api('GET', '/version');
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`toxiproxy did not start: ${String(err)}`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await api('POST', '/proxies', { name: 'sshd', listen: `127.0.0.1:${port}`, upstream: `127.0.0.1:${upstreamPort}`, enabled: true });
  for (const stream of ['upstream', 'downstream']) {
    await api('POST', '/proxies/sshd/toxics', { name: `latency-${stream}`, type: 'latency', stream, toxicity: 1, attributes: { latency: profile.latencyMs, jitter: 0 } });
    await api('POST', '/proxies/sshd/toxics', { name: `bandwidth-${stream}`, type: 'bandwidth', stream, toxicity: 1, attributes: { rate: profile.rateKBps } });
  }
  return {
    port,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
