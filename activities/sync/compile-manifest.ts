import path from 'node:path';
import { readLastGoodManifest } from '../compile/last-good-manifest.js';
import type { Manifest } from '../compile/validate-compiled-data.js';
import type { LocalFile } from './local-tree.js';

/**
 * Attaches the sha256 the last good compile recorded (`<stateDir>/site/last-good-data/`) to local files
 * the manifest still vouches for (same size and mtime). The compile rewrites every file, so
 * without the hash an identical file would look changed and be uploaded again.
 */
export async function attachManifestHashes(stateDir: string, localDir: string, files: LocalFile[]): Promise<number> {
  const manifests = await readManifests(stateDir);
  const byPath = new Map(files.map((f) => [f.path, f]));
  let attached = 0;
  for (const manifest of manifests) {
    for (const entry of manifest.files) {
      const relative = path.relative(localDir, path.join(manifest.outputDir, entry.path));
      if (relative.startsWith('..') || path.isAbsolute(relative)) continue;
      const file = byPath.get(relative.split(path.sep).join('/'));
      if (file && file.sha256 === undefined && file.size === entry.bytes && file.mtimeMs === entry.mtimeMs) {
        file.sha256 = entry.sha256;
        attached += 1;
      }
    }
  }
  return attached;
}

/** The site's last good compile manifest (one place, whatever run wrote it). */
async function readManifests(stateDir: string): Promise<Manifest[]> {
  const manifest = await readLastGoodManifest(stateDir);
  return manifest ? [manifest] : [];
}
