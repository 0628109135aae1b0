import { HeadObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { rethrowAws } from '../aws/errors.js';
import type { S3Requests } from './cost.js';
import { listPrefix, relFromKey } from './keys.js';

export interface RemoteObject {
  key: string;
  size: number;
  etag: string;
}

/** Every object under the prefix by relative path (ListObjectsV2, 1,000 a page). */
export async function listRemote(s3: S3Client, bucket: string, prefix: string, requests: S3Requests, abortSignal?: AbortSignal): Promise<Map<string, RemoteObject>> {
  const out = new Map<string, RemoteObject>();
  try {
    for await (const page of paginateListObjectsV2({ client: s3, pageSize: 1000 }, { Bucket: bucket, Prefix: listPrefix(prefix) })) {
      requests.put += 1;
      for (const o of page.Contents ?? []) {
        const rel = o.Key === undefined ? undefined : relFromKey(prefix, o.Key);
        if (rel === undefined || rel === '' || o.Key === undefined) continue;
        out.set(rel, { key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '' });
      }
      if (abortSignal?.aborted) break;
    }
  } catch (err) {
    rethrowAws(err, `listing s3://${bucket}/${listPrefix(prefix)}`);
  }
  return out;
}

/** S3's own SHA-256 of an object (whole, or composite `…-N` for multipart), undefined when it keeps none. */
export async function remoteChecksum(s3: S3Client, bucket: string, key: string, requests: S3Requests, abortSignal?: AbortSignal): Promise<string | undefined> {
  try {
    requests.get += 1;
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }), abortSignal ? { abortSignal } : {});
    return head.ChecksumSHA256;
  } catch (err) {
    rethrowAws(err, `reading the checksum of s3://${bucket}/${key}`);
  }
}
