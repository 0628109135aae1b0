import { randomUUID } from 'node:crypto';
import type { FaultRecord, FaultSpec } from './fault-spec.js';

/** The AWS-facing effect of the faults that fired for one request. */
export interface RequestFaultEffect {
  latencyMs: number;
  error?: { code: string; status?: number; message?: string };
}

// mulberry32: tiny seeded generator so a test can ask for "rate 0.5, seed 7" and get the same
// firing pattern every run.
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface LiveFault { record: FaultRecord; random: () => number }

export class FaultRegistry {
  private faults: LiveFault[] = [];

  add(spec: FaultSpec): FaultRecord {
    const record: FaultRecord = { id: randomUUID(), spec, fired: 0, active: true };
    this.faults.push({ record, random: spec.seed === undefined ? Math.random : seededRandom(spec.seed) });
    return record;
  }

  list(): FaultRecord[] {
    return this.faults.map((f) => ({ ...f.record }));
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * Offers one opportunity to every active fault that matches and passes `relevant`; those
   * that fire (rate, count) are returned and counted.
   */
  fire(service: string, operation: string, relevant: (spec: FaultSpec) => boolean): FaultSpec[] {
    const fired: FaultSpec[] = [];
    for (const fault of this.faults) {
      const { record } = fault;
      if (!record.active || !relevant(record.spec)) continue;
      const spec = record.spec;
      const serviceMatches = spec.service === service || (spec.service === '*' && service !== 'sftp' && service !== 'docker');
      if (!serviceMatches) continue;
      if (spec.operation !== '*' && spec.operation.toLowerCase() !== operation.toLowerCase()) continue;
      if (spec.rate !== undefined && !(fault.random() < spec.rate)) continue;
      record.fired += 1;
      if (spec.count !== undefined && record.fired >= spec.count) record.active = false;
      fired.push(spec);
    }
    return fired;
  }

  /** Error and latency faults for one AWS API request. The first firing error wins. */
  forRequest(service: string, operation: string): RequestFaultEffect {
    const effect: RequestFaultEffect = { latencyMs: 0 };
    const fired = this.fire(service, operation, (s) => s.errorCode !== undefined || (s.latencyMs !== undefined && s.service !== 'sftp' && s.service !== 'docker'));
    for (const spec of fired) {
      effect.latencyMs += spec.latencyMs ?? 0;
      if (spec.errorCode !== undefined && effect.error === undefined) {
        effect.error = { code: spec.errorCode, status: spec.httpStatus, message: spec.message };
      }
    }
    return effect;
  }
}
