import { Transform, type TransformCallback } from 'node:stream';

/**
 * Decodes `Content-Encoding: aws-chunked` bodies (SigV4 streaming, signed or unsigned, with
 * optional trailing checksums), which the S3 SDK sends for stream uploads: `<hex>[;sig]\r\n
 * <data>\r\n ... 0\r\n<trailers>\r\n\r\n`. Data passes through without being buffered whole.
 */
export class AwsChunkedDecoder extends Transform {
  private header = '';
  private remaining = 0;
  private phase: 'header' | 'data' | 'crlf' | 'trailer' = 'header';
  private crlfLeft = 0;
  private trailerText = '';

  /** The trailing headers (`x-amz-checksum-crc32: ...`) once the body has been read. */
  trailers(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of this.trailerText.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return out;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let p = 0;
    try {
      while (p < chunk.length) {
        if (this.phase === 'header') {
          const nl = chunk.indexOf(0x0a, p);
          if (nl === -1) {
            this.header += chunk.toString('latin1', p);
            if (this.header.length > 4096) throw new Error('aws-chunked header too long');
            return done();
          }
          this.header += chunk.toString('latin1', p, nl + 1);
          p = nl + 1;
          const sizeHex = this.header.trim().split(';')[0] ?? '';
          this.header = '';
          if (!/^[0-9a-fA-F]+$/.test(sizeHex)) throw new Error(`bad aws-chunked size line '${sizeHex}'`);
          this.remaining = parseInt(sizeHex, 16);
          this.phase = this.remaining === 0 ? 'trailer' : 'data';
        } else if (this.phase === 'data') {
          const n = Math.min(this.remaining, chunk.length - p);
          this.push(chunk.subarray(p, p + n));
          p += n;
          this.remaining -= n;
          if (this.remaining === 0) {
            this.phase = 'crlf';
            this.crlfLeft = 2;
          }
        } else if (this.phase === 'crlf') {
          const n = Math.min(this.crlfLeft, chunk.length - p);
          p += n;
          this.crlfLeft -= n;
          if (this.crlfLeft === 0) this.phase = 'header';
        } else {
          // Trailers (x-amz-checksum-*) and the final CRLF, kept to echo the checksum back.
          if (this.trailerText.length < 4096) this.trailerText += chunk.toString('latin1', p);
          return done();
        }
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}
