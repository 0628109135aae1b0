import os from 'node:os';

/**
 * The stable id of the machine this worker runs on: `RUNBOOK_HOST_ID`, else the hostname. Set
 * it where hostnames change (containers): the site's data and docker engine belong to a host,
 * and a run's data work must come back to the same one after a crash.
 */
export function runbookHostId(env: NodeJS.ProcessEnv = process.env): string {
  const id = (env.RUNBOOK_HOST_ID ?? '').trim() || os.hostname();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(id)) {
    throw new Error(`RUNBOOK_HOST_ID "${id}" must be letters, digits, ".", "_" or "-" (at most 63), such as "lab-2".`);
  }
  return id;
}

/** The task queue only this host's worker polls, beside the shared one (worker-specific task queues). */
export function hostTaskQueueName(sharedQueue: string, hostId: string): string {
  return `${sharedQueue}@${hostId}`;
}

/** How long a run's data work waits for its host's worker before failing and naming the host. */
export function hostWaitMinutes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.RUNBOOK_HOST_WAIT_MINUTES;
  if (raw === undefined || raw === '') return 60;
  const minutes = Number(raw);
  if (!Number.isFinite(minutes) || minutes <= 0) throw new Error(`RUNBOOK_HOST_WAIT_MINUTES "${raw}" must be a positive number of minutes, such as 60.`);
  return minutes;
}
