import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isSameProcess } from './process-identity.js';

interface RecordLike {
  pid: number;
  procStartTime?: string;
}

/** The pid of a still-running tracked process recorded anywhere under a run dir, if any. */
export async function liveProcessUnder(dir: string): Promise<number | undefined> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const processDir = path.join(dir, entry.name);
    const record = await readFile(path.join(processDir, 'record.json'), 'utf8')
      .then((text) => JSON.parse(text) as RecordLike)
      .catch(() => undefined);
    if (!record) continue;
    const exited = await readFile(path.join(processDir, 'exit.code'), 'utf8').then(
      () => true,
      () => false,
    );
    if (!exited && (await isSameProcess(record.pid, record.procStartTime))) return record.pid;
  }
  return undefined;
}
