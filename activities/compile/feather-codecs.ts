import { compressionRegistry, CompressionType } from 'apache-arrow';
import * as lz4 from 'lz4js';
import { decompress as zstdDecompress } from 'fzstd';

let registered = false;

/**
 * pyarrow writes feather v2 with LZ4 (its default) or ZSTD buffer compression; apache-arrow
 * reads those only with codecs registered. Pure-JS codecs keep the worker free of native builds.
 */
export function registerFeatherCodecs(): void {
  if (registered) return;
  compressionRegistry.set(CompressionType.LZ4_FRAME, {
    encode: (data) => lz4.compress(data),
    decode: (data) => lz4.decompress(data),
  });
  compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => zstdDecompress(data) });
  registered = true;
}
