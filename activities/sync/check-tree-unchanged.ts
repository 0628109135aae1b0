import { attachManifestHashes } from './compile-manifest.js';
import { lastVerifiedTreeFile } from './last-verified-tree.js';
import { walkLocalTree } from './local-tree.js';
import { planSync, totals, treeFromRecord } from './plan-sync.js';
import { readRemoteRecord } from './remote-record.js';
import { formatBytes } from './sync-progress.js';

export interface TreeUnchangedInput {
  localDir: string;
  stateDir: string;
  fileSystemId: string;
  remoteDir: string;
  deleteExtraneous: boolean;
}

export interface TreeUnchangedCheck {
  /** True when a sync would upload, delete and create nothing against the last verified tree. */
  unchanged: boolean;
  /** Says why, in words a person reads in the result and the status. */
  reason: string;
  files: number;
  bytes: number;
  verifiedAt: string | null;
  verifiedBy: string | null;
  recordPath: string;
}

/**
 * Compares the local tree with the remote tree the last verified sync of this target recorded,
 * before any server exists: a server is billed by the hour, and a sync of an unchanged tree
 * would provision one only to find nothing to do. The remote side is trusted as recorded; a
 * `force` sync lists it again.
 */
export async function checkLocalTreeUnchanged(input: TreeUnchangedInput): Promise<TreeUnchangedCheck> {
  const recordPath = lastVerifiedTreeFile(input.stateDir, input.fileSystemId, input.remoteDir);
  const record = await readRemoteRecord(recordPath);
  const local = await walkLocalTree(input.localDir);
  const size = totals(local.files);
  const base = { files: size.files, bytes: size.bytes, verifiedAt: record?.recordedAt ?? null, verifiedBy: record?.workflowId ?? null, recordPath };
  if (!record) return { ...base, unchanged: false, reason: 'no verified sync of this target is recorded on this worker' };
  if (input.deleteExtraneous && !record.dirs) {
    return { ...base, unchanged: false, reason: 'the last verified sync predates the record of remote dirs, so extraneous dirs cannot be ruled out' };
  }
  await attachManifestHashes(input.stateDir, input.localDir, local.files);
  const plan = planSync(local, treeFromRecord(record), record, input.deleteExtraneous);
  const changes = plan.upload.length + plan.remove.length + plan.createDirs.length + plan.removeDirs.length;
  if (changes > 0) {
    return {
      ...base,
      unchanged: false,
      reason: `${plan.upload.length} files to upload, ${plan.remove.length} to delete and ${plan.createDirs.length + plan.removeDirs.length} dirs to create or remove since the sync verified at ${record.recordedAt}`,
    };
  }
  return {
    ...base,
    unchanged: true,
    reason:
      `the local tree (${size.files} files, ${formatBytes(size.bytes)}) is unchanged since the sync ${record.workflowId} verified at ${record.recordedAt}: ` +
      'nothing to upload or delete, so no SFTP server was provisioned; start with "force": true to list the remote side again anyway',
  };
}
