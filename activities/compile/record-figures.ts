import { readFile } from 'node:fs/promises';
import { publishLastGoodManifest } from './last-good-manifest.js';
import { summarize, writeJsonAtomic, type Manifest, type ManifestFile, type ManifestSummary } from './validate-compiled-data.js';

/** Adds the figure pickles to the manifest, replacing older entries for the same paths. */
export async function recordFiguresInManifest(input: { manifestPath: string; figures: ManifestFile[]; stateDir?: string }): Promise<ManifestSummary> {
  const manifest = JSON.parse(await readFile(input.manifestPath, 'utf8')) as Manifest;
  const paths = new Set(input.figures.map((f) => f.path));
  manifest.files = [...manifest.files.filter((f) => !paths.has(f.path)), ...input.figures];
  await writeJsonAtomic(input.manifestPath, manifest);
  if (input.stateDir) await publishLastGoodManifest(input.stateDir, input.manifestPath);
  return summarize(input.manifestPath, manifest);
}
