import type { FaultRecord, FaultSpecInput } from './fault-spec.js';
import type { Ledger } from './ledger.js';
import type { PrincipalInput } from './auth/principals.js';
import type { PublishedMessage } from './sns-published.js';
import { emptyRegion, type RegionalState, type SimState } from './state.js';

export type { FaultRecord, FaultSpecInput, Ledger, PublishedMessage, RegionalState, SimState };

/** One region's resources in a state snapshot (empty when nothing was made there). */
export function inRegion(state: SimState, region = 'us-east-1'): RegionalState {
  return state.regions[region] ?? emptyRegion();
}

export class SimControlError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'SimControlError';
  }
}

export interface SimControl {
  /** Every Transfer server ever created, with billed seconds; `alive` counts undeleted ones. */
  ledger(): Promise<Ledger>;
  /** The sim's whole state (servers, users, file systems, buckets, environments, registries). */
  state(): Promise<SimState>;
  /** Injects a fault; see FaultSpecInput for the fields. Rejects with the sim's 400 message. */
  addFault(spec: FaultSpecInput): Promise<FaultRecord>;
  /** Faults with how often each has fired. */
  faults(): Promise<FaultRecord[]>;
  clearFaults(): Promise<void>;
  /** Forgets every resource and file and clears faults. */
  reset(): Promise<void>;
  /**
   * File bytes SFTP WRITEs put on disk, per file (path relative to the sim's state dir, as
   * opened: a temp file keeps its name after a rename), since the start or the last reset.
   */
  sftpWrites(): Promise<Record<string, number>>;
  /** Every message an SNS topic accepted, in every region, oldest first. */
  snsPublished(): Promise<PublishedMessage[]>;
  /** Makes an identity known (or replaces its policy); answers its IAM user ARN. */
  addPrincipal(principal: PrincipalInput): Promise<{ arn: string }>;
}

/** Typed client for `/_sim`; `controlUrl` is RunningSim.controlUrl (endpoint + '/_sim'). */
export function simControl(controlUrl: string): SimControl {
  const base = controlUrl.replace(/\/+$/, '');
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text === '' ? {} : (JSON.parse(text) as unknown);
    if (!res.ok) {
      const message = (parsed as { error?: string }).error ?? `${method} ${path} answered ${res.status}`;
      throw new SimControlError(res.status, message);
    }
    return parsed as T;
  };
  return {
    ledger: () => call<Ledger>('GET', '/ledger'),
    state: () => call<SimState>('GET', '/state'),
    addFault: (spec) => call<FaultRecord>('POST', '/faults', spec),
    faults: async () => (await call<{ faults: FaultRecord[] }>('GET', '/faults')).faults,
    clearFaults: async () => {
      await call('DELETE', '/faults');
    },
    reset: async () => {
      await call('POST', '/reset');
    },
    sftpWrites: async () => (await call<{ writes: Record<string, number> }>('GET', '/sftp/writes')).writes,
    snsPublished: async () => (await call<{ published: PublishedMessage[] }>('GET', '/sns/published')).published,
    addPrincipal: (principal) => call<{ arn: string }>('POST', '/principals', principal),
  };
}
