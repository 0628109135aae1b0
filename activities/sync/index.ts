import type { AwsClientFactory } from '../aws/clients.js';
import { checkSyncPrerequisites } from './check-sync-prerequisites.js';
import { checkLocalTreeUnchanged } from './check-tree-unchanged.js';
import { createSftpUser } from './create-sftp-user.js';
import { inspectRunbookServers } from './janitor.js';
import { planDryRun } from './plan-dry-run.js';
import { provisionSftpServer } from './provision-sftp-server.js';
import { syncDirectory } from './sync-directory.js';
import { teardownSftpServer } from './teardown-sftp-server.js';
import { verifyRemoteTree } from './verify-remote-tree.js';
import { waitForServerOnline } from './wait-server-online.js';
import { bind } from '../bind.js';

/**
 * The data sync's activities and the janitor's, bound to the AWS clients they use. The restart
 * after the upload reuses the deploy's `restartAppServer` and `waitForHealthyEnvironment`.
 */
export function createSyncActivities(deps: { aws: AwsClientFactory }) {
  const { aws } = deps;
  return {
    checkSyncPrerequisites: bind(aws, checkSyncPrerequisites),
    planDryRun,
    checkLocalTreeUnchanged,
    provisionSftpServer: bind(aws, provisionSftpServer),
    waitForServerOnline: bind(aws, waitForServerOnline),
    createSftpUser: bind(aws, createSftpUser),
    syncDirectory: bind(aws, syncDirectory),
    verifyRemoteTree: bind(aws, verifyRemoteTree),
    teardownSftpServer: bind(aws, teardownSftpServer),
    inspectRunbookServers: bind(aws, inspectRunbookServers),
  };
}
