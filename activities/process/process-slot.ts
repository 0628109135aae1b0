import path from 'node:path';
import { getClient, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { nonRetryable, retryable } from '../failures.js';
import { siteState } from '../site-state.js';
import { endProcessGroup, groupAlive, isSameProcess } from './process-identity.js';
import { readJsonFile, writeJsonFile } from '../json-file.js';

/** A site-wide place one process at a time may fill: `compile-step-<name>`, `docker-build`… */
export interface ProcessSlot {
  stateDir: string;
  name: string;
  /** How a person calls it in a message: `compile step "interactions"`. */
  label: string;
}

/** Who fills a slot now: written when a process starts, read by the next run that needs it. */
interface SlotRecord {
  workflowId: string;
  runId: string;
  host: string;
  pid: number;
  pgid: number;
  procStartTime?: string;
  startedAt: string;
  dir: string;
}

/** A process of an earlier run that was still running in the slot and was ended. */
export interface EndedProcess {
  pid: number;
  workflowId: string;
  runId: string;
  how: 'terminated' | 'killed' | 'none';
}

function slotPath(slot: ProcessSlot): string {
  return path.join(siteState(slot.stateDir).processes, `${slot.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

function readSlot(slot: ProcessSlot): Promise<SlotRecord | undefined> {
  return readJsonFile<SlotRecord>(slotPath(slot));
}

/**
 * Makes the slot free for this run before its process starts. A process of another run that
 * still runs here is ended when that run is closed (terminated, failed, timed out: nobody will
 * ever adopt it), and refused when that run is still open (it will adopt or finish it).
 */
export async function claimProcessSlot(
  slot: ProcessSlot,
  run: { workflowId: string; runId: string },
  host: string,
  killGraceMs: number,
): Promise<EndedProcess | null> {
  const holder = await readSlot(slot);
  if (!holder || holder.runId === run.runId) return null;
  if (holder.host !== host) {
    log.warn(`the last ${slot.label} ran on another host; it cannot be seen from here`, { holderHost: holder.host, host });
    return null;
  }
  const alive = (await isSameProcess(holder.pid, holder.procStartTime)) || groupAlive(holder.pgid);
  if (!alive) return null;
  let open: boolean;
  try {
    const description = await getClient().workflow.getHandle(holder.workflowId, holder.runId).describe();
    open = description.status.name === 'RUNNING';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) {
      throw retryable('TemporalUnavailable', `Could not ask Temporal whether workflow ${holder.workflowId} (run ${holder.runId}) still runs: ${String(err)}`);
    }
    open = false;
  }
  if (open) {
    throw nonRetryable(
      'ProcessSlotBusy',
      `The ${slot.label} of this site is still running for workflow ${holder.workflowId} (run ${holder.runId}, pid ${holder.pid}, started ${holder.startedAt}), ` +
        `which is still open: wait for it to finish, or cancel it, then start again.`,
      { workflowId: holder.workflowId, runId: holder.runId, pid: holder.pid },
    );
  }
  const how = await endProcessGroup(holder.pgid, killGraceMs);
  log.warn(`ended the ${slot.label} left running by an earlier, closed run before starting anew`, {
    pid: holder.pid,
    workflowId: holder.workflowId,
    runId: holder.runId,
    how,
  });
  return { pid: holder.pid, workflowId: holder.workflowId, runId: holder.runId, how };
}

export async function recordProcessSlot(
  slot: ProcessSlot,
  run: { workflowId: string; runId: string },
  record: { host: string; pid: number; pgid: number; procStartTime?: string; startedAt: string },
  dir: string,
): Promise<void> {
  const value: SlotRecord = { ...run, host: record.host, pid: record.pid, pgid: record.pgid, procStartTime: record.procStartTime, startedAt: record.startedAt, dir };
  await writeJsonFile(slotPath(slot), value);
}
