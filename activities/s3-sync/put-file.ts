import { createReadStream } from 'node:fs';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { rethrowAws } from '../aws/errors.js';
import type { S3Requests } from './cost.js';

export interface PutFileInput {
  bucket: string;
  key: string;
  file: string;
  size: number;
  /** Base64 SHA-256 of the file: S3 refuses the body (BadDigest) if what arrives differs, and keeps it. */
  sha256: string;
  contentType?: string;
}

/** One PutObject of a file below the multipart threshold, streamed from disk. */
export async function putFile(s3: S3Client, input: PutFileInput, requests: S3Requests, abortSignal: AbortSignal): Promise<void> {
  try {
    requests.put += 1;
    await s3.send(new PutObjectCommand({
      Bucket: input.bucket,
      Key: input.key,
      Body: input.size === 0 ? '' : createReadStream(input.file),
      ContentLength: input.size,
      ChecksumSHA256: input.sha256,
      ...(input.contentType ? { ContentType: input.contentType } : {}),
    }), { abortSignal });
  } catch (err) {
    rethrowAws(err, `uploading ${input.file} to s3://${input.bucket}/${input.key}`);
  }
}
