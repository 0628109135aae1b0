/** The S3 key of a file of the local tree: `<prefix>/<relative path>` (the prefix has no trailing slash). */
export function keyFor(prefix: string, relPath: string): string {
  return `${prefix}/${relPath}`;
}

/** What ListObjectsV2 is asked for: only keys inside the prefix "directory", never "data2/…" for "data". */
export function listPrefix(prefix: string): string {
  return `${prefix}/`;
}

/** The relative path of a key under the prefix, or undefined for a key outside it. */
export function relFromKey(prefix: string, key: string): string | undefined {
  const p = listPrefix(prefix);
  return key.startsWith(p) ? key.slice(p.length) : undefined;
}
