import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { log } from '@temporalio/activity';
import type { Manifest } from '../compile/validate-compiled-data.js';
import type { LocalFile } from './local-tree.js';

/**
 * Attaches the sha256 the compile recorded (`<stateDir>/runs/<id>/manifest.json`) to local files
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

/** Every compile manifest under the state dir, newest first. */
async function readManifests(stateDir: string): Promise<Manifest[]> {
  const runs = path.join(stateDir, 'runs');
  const names = await readdir(runs).catch(() => [] as string[]);
  const manifests: Manifest[] = [];
  for (const name of names) {
    try {
      const manifest = JSON.parse(await readFile(path.join(runs, name, 'manifest.json'), 'utf8')) as Manifest;
      if (Array.isArray(manifest.files) && typeof manifest.outputDir === 'string') manifests.push(manifest);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn('ignoring an unreadable compile manifest', { run: name, error: String(err) });
    }
  }
  return manifests.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
}
