import type { FaultRegistry } from './faults.js';
import type { StateStore } from './state-store.js';

export interface SimTimings {
  transferStartMs: number;
  transferStopMs: number;
  beanstalkUpdateMs: number;
  versionProcessMs: number;
}

/** Hooks into the long-lived listeners, so API calls can close sessions or open ports. */
export interface SimHooks {
  /** Closes open SFTP sessions of a server (all users, or one). */
  closeSftpSessions(serverId: string, userName?: string): void;
  /** Makes sure an environment's loopback HTTP listener runs (returns its port). */
  ensureEnvironmentListener(environmentId: string): Promise<number>;
  closeEnvironmentListener(environmentId: string): Promise<void>;
}

export interface SimContext {
  stateDir: string;
  /** The region of the request being handled (its SigV4 scope); the sim's home region outside a request. */
  region: string;
  /** The id of the request being handled; events and errors carry it. */
  requestId?: string;
  store: StateStore;
  faults: FaultRegistry;
  timings: SimTimings;
  hooks: SimHooks;
  /** SHA256 fingerprint of the SFTP host key, as DescribeServer reports it. */
  hostKeyFingerprint: string;
}

/** The context one AWS request is handled in: its own region and request id. */
export function requestContext(root: SimContext, region: string, requestId: string): SimContext {
  return Object.create(root, {
    region: { value: region, enumerable: true },
    requestId: { value: requestId, enumerable: true },
  }) as SimContext;
}
