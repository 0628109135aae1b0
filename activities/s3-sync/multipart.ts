import { createReadStream } from 'node:fs';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { CancelledFailure, log } from '@temporalio/activity';
import { isNotFound, rethrowAws, awsErrorCode } from '../aws/errors.js';
import type { S3Requests } from './cost.js';
import type { FileDigest } from './file-digest.js';
import type { UploadJournal } from './journal.js';

export interface MultipartInput {
  bucket: string;
  key: string;
  file: string;
  size: number;
  partSize: number;
  digest: FileDigest;
  contentType?: string;
}

export interface MultipartResult {
  /** Parts sent by this attempt, and bytes in them. */
  partsSent: number;
  bytesSent: number;
  /** Parts an earlier attempt had already sent, proven by ListParts and their SHA-256. */
  partsReused: number;
  bytesReused: number;
}

/**
 * A multipart upload that survives a worker crash. `@aws-sdk/lib-storage`'s Upload cannot do
 * this: it always starts with CreateMultipartUpload and offers no way to adopt an UploadId or
 * skip parts already uploaded, so a retry would send the whole file again. Here the UploadId
 * is journaled in the run's dir as soon as S3 gives it; a retry lists the upload's parts and
 * sends only those missing or whose SHA-256 is not the local part's, then completes.
 */
export async function uploadMultipart(
  s3: S3Client,
  input: MultipartInput,
  journal: UploadJournal,
  requests: S3Requests,
  opts: { abortSignal: AbortSignal; onBytes: (n: number) => void },
): Promise<MultipartResult> {
  const { bucket, key, partSize, digest } = input;
  const where = `s3://${bucket}/${key}`;
  const count = digest.parts.length;
  const result: MultipartResult = { partsSent: 0, bytesSent: 0, partsReused: 0, bytesReused: 0 };
  const sizeOf = (n: number): number => (n < count ? partSize : input.size - partSize * (count - 1));
  const done = new Map<number, CompletedPart>();

  try {
    let uploadId: string | undefined;
    const open = journal.get(key);
    if (open && open.sha256 === digest.sha256 && open.size === input.size && open.partSize === partSize) {
      try {
        let marker: string | undefined;
        do {
          requests.put += 1;
          const page = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: open.uploadId, ...(marker ? { PartNumberMarker: marker } : {}) }), { abortSignal: opts.abortSignal });
          for (const p of page.Parts ?? []) {
            const n = p.PartNumber ?? 0;
            // A part counts only if it is this file's part, byte for byte (its SHA-256 says so).
            if (n >= 1 && n <= count && p.Size === sizeOf(n) && p.ChecksumSHA256 === digest.parts[n - 1]) {
              done.set(n, { PartNumber: n, ETag: p.ETag, ChecksumSHA256: p.ChecksumSHA256 });
            }
          }
          marker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
        } while (marker);
        uploadId = open.uploadId;
        for (const n of done.keys()) {
          result.partsReused += 1;
          result.bytesReused += sizeOf(n);
        }
        log.info('resuming a multipart upload', { key, uploadId, partsReused: result.partsReused, parts: count });
      } catch (err) {
        if (!(isNotFound(err) || awsErrorCode(err) === 'NoSuchUpload')) throw err;
        // Completed or aborted meanwhile: start again.
        await journal.remove(key);
      }
    } else if (open) {
      // The file changed since that upload began: its parts are of other bytes.
      requests.delete += 1;
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: open.uploadId })).catch(() => undefined);
      await journal.remove(key);
    }
    if (!uploadId) {
      requests.put += 1;
      const created = await s3.send(new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        ChecksumAlgorithm: 'SHA256',
        ...(input.contentType ? { ContentType: input.contentType } : {}),
      }), { abortSignal: opts.abortSignal });
      uploadId = created.UploadId as string;
      await journal.put({ key, uploadId, size: input.size, sha256: digest.sha256, partSize });
    }
    opts.onBytes(result.bytesReused);

    for (let n = 1; n <= count; n++) {
      if (done.has(n)) continue;
      if (opts.abortSignal.aborted) throw new CancelledFailure('sync cancelled');
      const start = (n - 1) * partSize;
      const length = sizeOf(n);
      requests.put += 1;
      const sent = await s3.send(new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumber: n,
        Body: createReadStream(input.file, { start, end: start + length - 1 }),
        ContentLength: length,
        ChecksumSHA256: digest.parts[n - 1],
      }), { abortSignal: opts.abortSignal });
      done.set(n, { PartNumber: n, ETag: sent.ETag, ChecksumSHA256: sent.ChecksumSHA256 ?? digest.parts[n - 1] });
      result.partsSent += 1;
      result.bytesSent += length;
      opts.onBytes(length);
    }

    requests.put += 1;
    await s3.send(new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: [...done.values()].sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0)) },
    }), { abortSignal: opts.abortSignal });
    await journal.remove(key);
    return result;
  } catch (err) {
    rethrowAws(err, `the multipart upload of ${input.file} to ${where}`);
  }
}
