import { readFile } from 'node:fs/promises';
import { cancellationSignal, CancelledFailure } from '@temporalio/activity';
import type { AwsClientFactory, AwsTarget } from '../aws/clients.js';
import { nonRetryable } from '../failures.js';
import { noRequests, type S3Requests } from './cost.js';
import { listPrefix } from './keys.js';
import { listRemote, remoteChecksum } from './remote-listing.js';
import { digestManifest, type DigestEntry } from './sync-s3-prefix.js';

export interface VerifyS3Input {
  aws: AwsTarget;
  bucket: string;
  prefix: string;
  stateDir: string;
  deleteExtraneous: boolean;
  /** size: list and compare sizes; sample/all: also S3's SHA-256 of some/every object. */
  mode: 'size' | 'sample' | 'all';
  sample: number;
}

export interface VerifyS3Result {
  files: number;
  bytes: number;
  checksummed: number;
  /** Objects under the prefix the local tree lacks (kept without deleteExtraneous). */
  extraneous: number;
  requests: S3Requests;
}

/**
 * After the sync: lists the prefix again and compares every file of the local tree (as the
 * sync digested it) with its object, by size and, per `mode`, by S3's own ChecksumSHA256.
 * A difference fails non-retryably, naming the first files.
 */
export async function verifyS3Prefix(aws: AwsClientFactory, input: VerifyS3Input): Promise<VerifyS3Result> {
  const s3 = aws(input.aws).s3;
  const signal = cancellationSignal();
  const requests = noRequests();
  const local = JSON.parse(await readFile(digestManifest(input.stateDir), 'utf8')) as DigestEntry[];
  const remote = await listRemote(s3, input.bucket, input.prefix, requests, signal);
  const problems: string[] = [];
  for (const f of local) {
    const there = remote.get(f.path);
    if (!there) problems.push(`${f.path} is missing`);
    else if (there.size !== f.size) problems.push(`${f.path} has ${there.size} bytes, not ${f.size}`);
  }
  // Spread the sample over the tree so it is not always the same first files.
  const step = input.mode === 'all' ? 1 : input.mode === 'sample' ? Math.max(1, Math.floor(local.length / input.sample)) : 0;
  let checksummed = 0;
  for (let i = 0; step > 0 && i < local.length && problems.length === 0; i += step) {
    if (signal.aborted) throw new CancelledFailure('verify cancelled');
    const f = local[i] as DigestEntry;
    const sum = await remoteChecksum(s3, input.bucket, (remote.get(f.path) as { key: string }).key, requests, signal);
    if (sum !== f.checksum) problems.push(`${f.path} has SHA-256 ${sum ?? '(none)'}, not ${f.checksum}`);
    checksummed += 1;
  }
  const names = new Set(local.map((f) => f.path));
  const extraneous = [...remote.keys()].filter((k) => !names.has(k));
  if (input.deleteExtraneous && extraneous.length > 0) problems.push(`${extraneous.length} objects the local tree lacks are still there, first ${extraneous[0]}`);
  if (problems.length > 0) {
    throw nonRetryable('RemoteMismatch', `s3://${input.bucket}/${listPrefix(input.prefix)} differs from the local tree after the sync: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}. Start the sync again; it re-sends what differs.`);
  }
  return { files: local.length, bytes: local.reduce((s, f) => s + f.size, 0), checksummed, extraneous: extraneous.length, requests };
}
