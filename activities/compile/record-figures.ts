import { readFile } from 'node:fs/promises';
import { publishLastGoodManifest } from './last-good-manifest.js';
import { summarize, type Manifest, type ManifestFile, type ManifestSummary } from './validate-compiled-data.js';
import { writeJsonFile } from '../json-file.js';

/** Adds the figure pickles to the manifest, replacing older entries for the same paths. */
export async function recordFiguresInManifest(input: { manifestPath: string; figures: ManifestFile[]; stateDir?: string }): Promise<ManifestSummary> {
  const manifest = JSON.parse(await readFile(input.manifestPath, 'utf8')) as Manifest;
  const paths = new Set(input.figures.map((f) => f.path));
  manifest.files = [...manifest.files.filter((f) => !paths.has(f.path)), ...input.figures];
  await writeJsonFile(input.manifestPath, manifest);
  if (input.stateDir) await publishLastGoodManifest(input.stateDir, input.manifestPath);
  return summarize(input.manifestPath, manifest);
}
