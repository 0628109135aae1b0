import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A path inside the newest run dir of a workflow id (`<site>/.runbook/runs/<id>/<runId>/…`), or
 * inside the given run's. Before the run has opened its dir the path does not exist yet, so a
 * waitFor loop simply tries again.
 */
export function runPath(siteDir: string, workflowId: string, ...parts: string[]): string {
  return path.join(runDirOf(siteDir, workflowId) ?? path.join(siteDir, '.runbook', 'runs', workflowId, '(not yet)'), ...parts);
}

export function runDirOf(siteDir: string, workflowId: string, runId?: string): string | undefined {
  const root = path.join(siteDir, '.runbook', 'runs', workflowId.replace(/[^A-Za-z0-9_.-]/g, '_'));
  if (runId) return path.join(root, runId);
  return runDirsOf(siteDir, workflowId).at(-1);
}

/** Every run dir of a workflow id, oldest first. */
export function runDirsOf(siteDir: string, workflowId: string): string[] {
  const root = path.join(siteDir, '.runbook', 'runs', workflowId.replace(/[^A-Za-z0-9_.-]/g, '_'));
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const dirs = names.map((name) => {
    const dir = path.join(root, name);
    let createdAt = '';
    try {
      createdAt = (JSON.parse(readFileSync(path.join(dir, 'run.json'), 'utf8')) as { createdAt: string }).createdAt;
    } catch {
      // Not opened yet.
    }
    return { dir, createdAt };
  });
  return dirs.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1)).map((d) => d.dir);
}
