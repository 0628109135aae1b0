import path from 'node:path';

// What a static website serves most; anything else goes up as S3's default, which browsers
// download rather than render. Kept small on purpose: a data bucket needs none of it.
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.pdf': 'application/pdf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
};

/** The Content-Type of a website object, by extension; undefined leaves S3's default. */
export function contentTypeFor(relPath: string): string | undefined {
  return TYPES[path.extname(relPath).toLowerCase()];
}
