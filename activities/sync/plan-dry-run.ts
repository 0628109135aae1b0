import { attachManifestHashes } from './compile-manifest.js';
import { walkLocalTree } from './local-tree.js';
import { planSync, totals, treeFromRecord, type Totals } from './plan-sync.js';
import { lastVerifiedTreeFile } from './last-verified-tree.js';
import { readRemoteRecord } from './remote-record.js';

export interface DryRunInput {
  localDir: string;
  stateDir: string;
  fileSystemId: string;
  remoteDir: string;
  deleteExtraneous: boolean;
}

export interface DryRunPlan {
  upload: Totals;
  delete: Totals;
  skip: Totals;
  /**
   * A dry run creates no server, so nothing can list the remote side. It compares against what
   * the last verified sync recorded on this worker's disk ("last-sync"); without a record it
   * plans to upload everything and delete nothing ("none").
   */
  basis: 'last-sync' | 'none';
  recordedAt: string | null;
  recordPath: string;
}

export async function planDryRun(input: DryRunInput): Promise<DryRunPlan> {
  const local = await walkLocalTree(input.localDir);
  await attachManifestHashes(input.stateDir, input.localDir, local.files);
  const recordPath = lastVerifiedTreeFile(input.stateDir, input.fileSystemId, input.remoteDir);
  const record = await readRemoteRecord(recordPath);
  const plan = planSync(local, treeFromRecord(record), record, input.deleteExtraneous);
  return {
    upload: totals(plan.upload),
    delete: totals(plan.remove),
    skip: totals(plan.skip),
    basis: record ? 'last-sync' : 'none',
    recordedAt: record?.recordedAt ?? null,
    recordPath,
  };
}
