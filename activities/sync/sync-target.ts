import type { AwsTarget } from '../aws/clients.js';

/** Where the sync talks to: the AWS API (or the sim) and, for the sim, its one SFTP endpoint. */
export interface SyncTarget extends AwsTarget {
  /** "host:port" that replaces `<serverId>.server.transfer.<region>.amazonaws.com:22`. */
  sftpEndpoint?: string;
}

/** A Transfer server and the user the sync logs in as. */
export interface SftpLogin {
  target: SyncTarget;
  serverId: string;
  userName: string;
}

/** One local tree and the remote dir it mirrors to over one SFTP login: what the upload and the verify share. */
export interface SftpTree {
  login: SftpLogin;
  fileSystemId: string;
  remoteDir: string;
  localDir: string;
  /** The site's state dir: the run's journal and the last verified tree live under it. */
  stateDir: string;
  deleteExtraneous: boolean;
}

/** The file system path the sync mirrors into: `/<fileSystemId><remoteDir>`. */
export function remoteRoot(fileSystemId: string, remoteDir: string): string {
  return `/${fileSystemId}${remoteDir === '/' ? '' : remoteDir.replace(/\/+$/, '')}`;
}
