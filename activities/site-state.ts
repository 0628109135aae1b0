import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * What carries over between runs of one site on purpose, in one named place,
 * `<stateDir>/site/`: the last good compiled data (kept aside while a compile runs) and its
 * manifest, the last verified remote tree of each sync target, and which process holds each
 * compile step or docker build on this host. Everything else a run keeps lives in its own run
 * dir (run-dir.ts) and is never read by another run.
 */
export function siteState(stateDir: string) {
  const root = path.join(stateDir, 'site');
  return {
    root,
    /** The data the site served before the running compile started; back in place if it fails. */
    outputBackup: path.join(root, 'output-backup', 'previous'),
    /** The output of the last failed compile, kept for a look. */
    failedOutput: path.join(root, 'output-backup', 'failed'),
    /** The manifest (sha256 per file) of the compiled data that last validated. */
    lastGoodManifest: path.join(root, 'last-good-data', 'manifest.json'),
    /** One record per sync target: what the remote side held after the last verified sync. */
    syncRecords: path.join(root, 'sync'),
    /** One record per process slot (a compile step, a figure, a docker build): who runs it now. */
    processes: path.join(root, 'processes'),
  };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * State dirs written before `<stateDir>/site/` existed kept these at the top level: move them
 * once, so an upgrade neither loses the backup of live data nor forgets the last verified sync.
 */
export async function migrateLegacySiteState(stateDir: string): Promise<void> {
  const state = siteState(stateDir);
  const moves: [string, string][] = [
    [path.join(stateDir, 'output-backup'), path.dirname(state.outputBackup)],
    [path.join(stateDir, 'sync'), state.syncRecords],
  ];
  for (const [from, to] of moves) {
    if ((await exists(from)) && !(await exists(to))) {
      await mkdir(path.dirname(to), { recursive: true });
      await rename(from, to);
    }
  }
}
