import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * The kernel's start time of a process (clock ticks since boot, field 22 of /proc/PID/stat).
 * Together with the pid it identifies one process for its whole life, so a recycled pid is
 * never mistaken for the compile we started days ago.
 */
export async function processStartTime(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses; fields after it are plain.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19];
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True while any live member of the process group remains. Zombies do not count: in a
 * container whose init does not reap, an exited supervisor lingers as one forever.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const members = liveGroupMembers(pgid);
  return members === undefined || members.length > 0;
}

/** Live (non-zombie) pids of a process group from /proc, or undefined where there is no /proc. */
export function liveGroupMembers(pgid: number): number[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is the state, fields[2] the process group.
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return members;
}

export async function isSameProcess(pid: number, startTime: string | undefined): Promise<boolean> {
  if (!isAlive(pid)) return false;
  const now = await processStartTime(pid);
  if (now === undefined) return false;
  // A zombie has exited; it only waits for a parent that may be gone.
  const state = await readFile(`/proc/${pid}/stat`, 'utf8').then(
    (s) => s.slice(s.lastIndexOf(')') + 2).split(' ')[0],
    () => 'X',
  );
  return state !== 'Z' && (startTime === undefined || now === startTime);
}

/** TERM the whole group, then KILL whatever is left after the grace period. */
export async function endProcessGroup(pgid: number, graceMs: number): Promise<'none' | 'terminated' | 'killed'> {
  if (!groupAlive(pgid)) return 'none';
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return 'terminated';
    await sleep(100);
  }
  signalGroup(pgid, 'SIGKILL');
  for (let i = 0; i < 50 && groupAlive(pgid); i++) await sleep(100);
  return 'killed';
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
