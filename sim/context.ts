import type { FaultRegistry } from './faults.js';
import type { StateStore } from './state-store.js';
import type { Principal, PrincipalRegistry } from './auth/principals.js';
import type { WireProtocol } from './auth/authorize.js';
import type { ResponseObserver } from './observe.js';

export interface SimTimings {
  transferStartMs: number;
  transferStopMs: number;
  beanstalkUpdateMs: number;
  versionProcessMs: number;
}

/** Service quotas, small in tests so that what AWS refuses at scale is refused here too. */
export interface SimLimits {
  /** Elastic Beanstalk application versions per region (AWS's default quota: 1000). */
  applicationVersions: number;
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
  /** Who signed the request being handled (absent when signatures are off and none was sent). */
  caller?: Principal;
  /** The wire protocol of the request being handled, which decides how refusals are worded. */
  protocol?: WireProtocol;
  /** The identities and policies the sim knows, and whether it enforces them. */
  auth: PrincipalRegistry;
  /** The operation being handled, once routing has named it. */
  operation?: { service: string; name: string };
  /** Sees every answered request (a conformance test's hook). */
  observer?: ResponseObserver;
  store: StateStore;
  faults: FaultRegistry;
  timings: SimTimings;
  limits: SimLimits;
  hooks: SimHooks;
  /**
   * File bytes each SFTP WRITE put on disk, summed per file (its path relative to the state dir,
   * as it was opened: a temp keeps its name after a rename). Lets a test count what a client
   * sent again. Cleared by reset.
   */
  sftpWrites: Map<string, number>;
  /** SHA256 fingerprint of the SFTP host key, as DescribeServer reports it. */
  hostKeyFingerprint: string;
}

/** The context one AWS request is handled in: its own region and request id. */
export function requestContext(root: SimContext, region: string, requestId: string, protocol?: WireProtocol): SimContext {
  return Object.create(root, {
    region: { value: region, enumerable: true },
    requestId: { value: requestId, enumerable: true },
    protocol: { value: protocol, enumerable: true },
    caller: { value: undefined, enumerable: true, writable: true },
    operation: { value: undefined, enumerable: true, writable: true },
  }) as SimContext;
}
