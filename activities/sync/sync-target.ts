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

/** The file system path the sync mirrors into: `/<fileSystemId><remoteDir>`. */
export function remoteRoot(fileSystemId: string, remoteDir: string): string {
  return `/${fileSystemId}${remoteDir === '/' ? '' : remoteDir.replace(/\/+$/, '')}`;
}
