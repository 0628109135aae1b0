import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultRegistry } from './faults.js';
import { StateStore } from './state-store.js';
import { startSftpServer } from './sftp-server.js';
import { startApiServer } from './server.js';
import { startWebsiteServer } from './website-server.js';
import { EnvironmentListeners } from './services/environment-listeners.js';
import { REGION_DEFAULT } from './ids.js';
import { everyRegion } from './regions.js';
import { DEFAULT_PRINCIPALS, PrincipalRegistry, type AuthSettings, type PrincipalInput } from './auth/principals.js';
import type { SimContext, SimHooks } from './context.js';
import type { ResponseObserver } from './observe.js';

export { inRegion, simControl } from './control-client.js';
export type { FaultSpecInput, FaultRecord } from './fault-spec.js';
export type { Ledger, LedgerServer } from './ledger.js';
export type { PrincipalInput } from './auth/principals.js';
export type { ResponseObserver, ResponseRecord } from './observe.js';
export type { PolicyDocument } from './auth/policy.js';

export interface StartSimOptions {
  /** HTTP port for every AWS API and /_sim; 0 (default) picks a free one. */
  port?: number;
  /** SFTP port; 0 (default) picks a free one. */
  sftpPort?: number;
  /** Port of the S3 website endpoints (told apart by Host); 0 (default) picks a free one. */
  websitePort?: number;
  /** Where state lives; default a new temp dir, removed again on close. */
  stateDir?: string;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Transfer STARTING → ONLINE (and STOPPING → OFFLINE) delay; default 2. */
  transferStartSeconds?: number;
  /** Beanstalk Launching/Updating → Ready delay; default 3. */
  beanstalkUpdateSeconds?: number;
  /** Beanstalk application version Processing → Processed delay; default 1. */
  versionProcessSeconds?: number;
  /** Elastic Beanstalk application versions per region before TooManyApplicationVersionsException; default 1000, as AWS. */
  applicationVersionQuota?: number;
  /** Region of requests that name none (unsigned ones); a signed request's scope decides otherwise. Default us-east-1. */
  region?: string;
  /** Signature and policy checks; both on by default. */
  auth?: Partial<AuthSettings>;
  /** Identities beyond the default dummy ones (which may do anything). */
  principals?: PrincipalInput[];
  /** Sees every answered AWS request as sent (a conformance test's hook). */
  observer?: ResponseObserver;
}

export interface RunningSim {
  /** http://127.0.0.1:PORT — the `endpoint` override for every @aws-sdk client. */
  endpoint: string;
  sftpHost: string;
  sftpPort: number;
  /** `host:port` serving every bucket's S3 website endpoint, keyed by the Host header AWS's name would send. */
  websiteEndpoint: string;
  /** endpoint + '/_sim' */
  controlUrl: string;
  stateDir: string;
  /** Directory on disk holding an EFS file system's files. */
  efsDir(fileSystemId: string): string;
  close(): Promise<void>;
}

export async function startSim(opts: StartSimOptions = {}): Promise<RunningSim> {
  const host = opts.host ?? '127.0.0.1';
  const ownsStateDir = opts.stateDir === undefined;
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'release-sim-')));
  mkdirSync(join(stateDir, 'efs'), { recursive: true });
  const startMs = (opts.transferStartSeconds ?? 2) * 1000;

  let hooks: SimHooks = {
    closeSftpSessions: () => undefined,
    ensureEnvironmentListener: () => Promise.resolve(0),
    closeEnvironmentListener: () => Promise.resolve(),
  };
  const ctx: SimContext = {
    stateDir,
    region: opts.region ?? REGION_DEFAULT,
    store: new StateStore(stateDir),
    faults: new FaultRegistry(),
    sftpWrites: new Map(),
    timings: {
      transferStartMs: startMs,
      transferStopMs: startMs,
      beanstalkUpdateMs: (opts.beanstalkUpdateSeconds ?? 3) * 1000,
      versionProcessMs: (opts.versionProcessSeconds ?? 1) * 1000,
    },
    limits: { applicationVersions: opts.applicationVersionQuota ?? 1000 },
    get hooks() {
      return hooks;
    },
    hostKeyFingerprint: '',
    ...(opts.observer ? { observer: opts.observer } : {}),
    auth: new PrincipalRegistry({ signatures: opts.auth?.signatures ?? true, policies: opts.auth?.policies ?? true }, [...DEFAULT_PRINCIPALS, ...(opts.principals ?? [])]),
  };

  // Whatever started before a failure is stopped again, and a state dir we made is removed.
  const undo: (() => Promise<void>)[] = ownsStateDir ? [() => rm(stateDir, { recursive: true, force: true })] : [];
  let api;
  let sftp;
  let listeners;
  let website;
  try {
    website = await startWebsiteServer(ctx, host, opts.websitePort ?? 0);
    undo.unshift(website.close);
    sftp = await startSftpServer(ctx, host, opts.sftpPort ?? 0);
    undo.unshift(sftp.close);
    ctx.hostKeyFingerprint = sftp.hostKeyFingerprint;
    listeners = new EnvironmentListeners(ctx, host);
    undo.unshift(listeners.closeAll.bind(listeners));
    const live = { sftp, listeners };
    hooks = {
      closeSftpSessions: (serverId, userName) => live.sftp.closeSessions(serverId, userName),
      ensureEnvironmentListener: (id) => live.listeners.ensure(id),
      closeEnvironmentListener: (id) => live.listeners.close(id),
    };
    api = await startApiServer(ctx, host, opts.port ?? 0);
    // A restarted sim brings back the listeners of environments that still exist.
    for (const env of everyRegion(ctx.store.state).flatMap(([, r]) => Object.values(r.eb.environments))) {
      if (env.status !== 'Terminated') env.port = await listeners.ensure(env.environmentId);
    }
    ctx.store.save();
  } catch (err) {
    for (const step of undo) await step().catch(() => undefined);
    if (api) await api.close();
    throw err;
  }
  const running = { api, sftp, listeners, website };
  const endpoint = `http://${host}:${running.api.port}`;
  let closed = false;
  return {
    endpoint,
    sftpHost: host,
    sftpPort: running.sftp.port,
    websiteEndpoint: `${host}:${running.website.port}`,
    controlUrl: `${endpoint}/_sim`,
    stateDir,
    efsDir: (fileSystemId) => join(stateDir, 'efs', fileSystemId),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([running.api.close(), running.sftp.close(), running.listeners.closeAll(), running.website.close()]);
      ctx.store.save();
      if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}
