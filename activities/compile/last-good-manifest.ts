import { copyFile, mkdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { siteState } from '../site-state.js';
import type { Manifest } from './validate-compiled-data.js';

/** Copies a run's manifest to the site's last-good place; run dirs are pruned, this one stays. */
export async function publishLastGoodManifest(stateDir: string, manifestPath: string): Promise<void> {
  const target = siteState(stateDir).lastGoodManifest;
  await mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  await copyFile(manifestPath, temp);
  await rename(temp, target);
}

/** The manifest of the compiled data that last validated, if any compile ever finished here. */
export async function readLastGoodManifest(stateDir: string): Promise<Manifest | undefined> {
  try {
    const manifest = JSON.parse(await readFile(siteState(stateDir).lastGoodManifest, 'utf8')) as Manifest;
    return Array.isArray(manifest.files) && typeof manifest.outputDir === 'string' ? manifest : undefined;
  } catch {
    return undefined;
  }
}
