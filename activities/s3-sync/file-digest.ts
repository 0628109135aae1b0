import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileDigest {
  /** Base64 SHA-256 of the whole file: S3's ChecksumSHA256 of a single-PUT object. */
  sha256: string;
  /** Base64 SHA-256 of each part at the given part size (multipart files only). */
  parts: string[];
  /** S3's composite checksum of the multipart object, `<sha256 of the part digests>-N`. */
  composite?: string;
}

/**
 * One read of the file for both the whole-file SHA-256 and, for a file sent in parts, each
 * part's SHA-256 and the composite S3 reports for the assembled object, so the comparison with
 * the remote side never needs a second pass.
 */
export async function digestFile(file: string, size: number, partSize: number | undefined): Promise<FileDigest> {
  const whole = createHash('sha256');
  const parts: string[] = [];
  let part: Hash | undefined = partSize ? createHash('sha256') : undefined;
  let inPart = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    if (!partSize || !part) continue;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(partSize - inPart, chunk.length - offset);
      part.update(chunk.subarray(offset, offset + take));
      inPart += take;
      offset += take;
      if (inPart === partSize) {
        parts.push(part.digest('base64'));
        part = createHash('sha256');
        inPart = 0;
      }
    }
  }
  if (partSize && part && (inPart > 0 || size === 0)) parts.push(part.digest('base64'));
  const composite = partSize
    ? `${createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p, 'base64')))).digest('base64')}-${parts.length}`
    : undefined;
  return { sha256: whole.digest('base64'), parts, ...(composite ? { composite } : {}) };
}
