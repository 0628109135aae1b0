import path from 'node:path';
import { siteState } from '../site-state.js';

/**
 * Where the last verified remote tree of one sync target (a file system and a dir on it) is
 * kept. It carries over between runs on purpose: it lets a dry run plan without a server, lets
 * the compile manifest's hashes skip identical files, and lets a sync whose local tree has not
 * changed since provision nothing. The one place that decides where it lives.
 */
export function lastVerifiedTreeFile(stateDir: string, fileSystemId: string, remoteDir: string): string {
  const slug = remoteDir.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^_+|_+$/g, '') || 'root';
  return path.join(siteState(stateDir).syncRecords, `remote-${fileSystemId}-${slug}.json`);
}
