import path from 'node:path';
import { activityInfo } from '@temporalio/activity';

/**
 * Per-workflow directory for logs, process records and manifests: history carries only
 * summaries, everything per-file or per-line lives here on disk.
 */
export function runDir(stateDir: string, workflowId: string = currentWorkflowId()): string {
  return path.join(stateDir, 'runs', workflowId.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

/** The workflow this activity serves (activities here always run inside one). */
export function currentWorkflowId(): string {
  const execution = activityInfo().workflowExecution;
  if (!execution) throw new Error('this activity must be started by a workflow');
  return execution.workflowId;
}
