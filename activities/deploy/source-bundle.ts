import { createWriteStream } from 'node:fs';
import { lstat, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { nonRetryable } from '../failures.js';
import { isIgnored, parseIgnoreFile, type IgnoreRule } from './ebignore.js';

export const DOCKERRUN = 'Dockerrun.aws.json';
/** Beanstalk refuses source bundles above 500 MB; catching it here saves an upload. */
const MAX_BUNDLE_BYTES = 500 * 1024 * 1024;
/** Fixed entry times: the same files and image give the same zip bytes. */
const ZIP_MTIME = new Date('2000-01-01T00:00:00Z');

export interface BundleFile {
  /** Path inside the zip, `/`-separated. */
  name: string;
  absolute: string;
  size: number;
}

/** What the bundle carries: a Dockerrun.aws.json naming the pushed image, or the app's own files (Python and every other platform). */
export type BundleKind = 'docker' | 'source';

/** Never in a bundle, whatever the entries say: the EB CLI leaves these out too. */
const ALWAYS_LEFT_OUT = new Set(['.git', '.elasticbeanstalk']);

/**
 * The files of the Beanstalk source bundle: the configured entries (files or directories) of
 * the site, minus whatever `.ebignore` excludes. Entries that do not exist are skipped, except
 * Dockerrun.aws.json for a Docker bundle, without which the Docker platform has nothing to run.
 * The state dir (absolute) is left out when an entry such as "." holds it.
 */
export async function listBundleFiles(siteDir: string, entries: string[], kind: BundleKind = 'docker', stateDir?: string): Promise<BundleFile[]> {
  let rules: IgnoreRule[] = [];
  try {
    rules = parseIgnoreFile(await readFile(path.join(siteDir, '.ebignore'), 'utf8'));
  } catch {
    // No .ebignore: everything listed goes in.
  }
  const files: BundleFile[] = [];
  const walk = async (rel: string): Promise<void> => {
    const absolute = path.join(siteDir, rel);
    const info = await lstat(absolute).catch(() => undefined);
    if (!info) return;
    const name = rel.split(path.sep).join('/');
    if (info.isDirectory()) {
      // The runbook's own state (logs, earlier bundles) never ships, even under an entry of ".".
      if (ALWAYS_LEFT_OUT.has(path.basename(absolute)) || path.resolve(absolute) === stateDir || (name !== '.' && isIgnored(rules, name, true))) return;
      for (const child of (await readdir(absolute)).sort()) await walk(path.join(rel, child));
    } else if (info.isFile() && !isIgnored(rules, name, false)) {
      files.push({ name, absolute, size: info.size });
    }
  };
  for (const entry of entries) {
    const rel = path.normalize(entry).replace(/[/\\]+$/, '');
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw nonRetryable('InvalidConfig', `beanstalk.bundle entry "${entry}" must be a path inside the site directory (fix the bundle list).`, { field: 'beanstalk.bundle' });
    }
    await walk(rel);
  }
  const unique = [...new Map(files.map((f) => [f.name, f])).values()];
  if (kind === 'docker' && !unique.some((f) => f.name === DOCKERRUN)) {
    throw nonRetryable(
      'BundleInvalid',
      `${DOCKERRUN} is missing from the source bundle (looked in ${siteDir}${rules.length ? ', after .ebignore' : ''}): ` +
        `the Docker platform needs it at the bundle's root; add it to the site or to beanstalk.bundle.`,
    );
  }
  const bytes = unique.reduce((sum, f) => sum + f.size, 0);
  if (bytes > MAX_BUNDLE_BYTES) {
    throw nonRetryable('BundleInvalid', `the source bundle would hold ${(bytes / 1e6).toFixed(0)} MB, above Beanstalk's 500 MB limit: exclude data files in .ebignore or beanstalk.bundle.`);
  }
  return unique;
}

interface DockerrunV1 {
  AWSEBDockerrunVersion?: string | number;
  Image?: { Name?: string; Update?: string };
  containerDefinitions?: { image?: string }[];
}

/** Reads and checks Dockerrun.aws.json; returns the image references it names. */
export function parseDockerrun(text: string, where: string): { doc: DockerrunV1; images: string[] } {
  let doc: DockerrunV1;
  try {
    doc = JSON.parse(text) as DockerrunV1;
  } catch (err) {
    throw nonRetryable('BundleInvalid', `${where} is not valid JSON (${(err as Error).message}): fix it before deploying.`);
  }
  const images = [doc.Image?.Name, ...(doc.containerDefinitions ?? []).map((c) => c.image)].filter((i): i is string => typeof i === 'string');
  if (images.length === 0) {
    throw nonRetryable('BundleInvalid', `${where} names no image (Image.Name for version 1, containerDefinitions[].image for version 2): add the image repository.`);
  }
  return { doc, images };
}

function sameRepository(reference: string, repositoryUri: string): boolean {
  const bare = reference.replace(/@sha256:[0-9a-f]{64}$/, '').replace(/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/, '');
  return bare === repositoryUri;
}

/**
 * Points every image of the repository at the pushed digest. A tag like `:latest` would make
 * every stored version run the newest image, so a rollback would roll back nothing.
 */
export function pinImage(text: string, where: string, repositoryUri: string, digest: string): { text: string; pinned: string[] } {
  const { doc } = parseDockerrun(text, where);
  const pinnedRef = `${repositoryUri}@${digest}`;
  const pinned: string[] = [];
  if (doc.Image?.Name && sameRepository(doc.Image.Name, repositoryUri)) {
    pinned.push(doc.Image.Name);
    doc.Image.Name = pinnedRef;
    // With a digest there is nothing newer to pull; "Update" would only add a registry round trip.
    if (doc.Image.Update !== undefined) doc.Image.Update = 'false';
  }
  for (const container of doc.containerDefinitions ?? []) {
    if (container.image && sameRepository(container.image, repositoryUri)) {
      pinned.push(container.image);
      container.image = pinnedRef;
    }
  }
  if (pinned.length === 0) {
    throw nonRetryable(
      'BundleInvalid',
      `${where} names no image of ${repositoryUri} (it names ${parseDockerrun(text, where).images.join(', ')}): point it at image.repository so the deploy runs the pushed image.`,
    );
  }
  return { text: `${JSON.stringify(doc, null, 2)}\n`, pinned };
}

/**
 * The Python platform starts gunicorn on `application:application` (application.py at the
 * bundle's root) unless a Procfile at the root says otherwise; without either the instances
 * answer 502 after the deploy, so the bundle is refused before anything is uploaded.
 */
export function checkPythonEntry(files: BundleFile[], siteDir: string): void {
  if (files.some((f) => f.name === 'application.py' || f.name === 'Procfile')) return;
  throw nonRetryable(
    'BundleInvalid',
    `The source bundle (from ${siteDir}, after .ebignore) has neither application.py nor a Procfile at its root: the Python platform runs "application:application" from application.py ` +
      `unless a Procfile names another command; add application.py (or a Procfile) to beanstalk.bundle, or stop .ebignore from excluding it.`,
    { field: 'beanstalk.bundle' },
  );
}

/** Writes the zip (atomically); a Docker bundle's Dockerrun.aws.json is replaced by its pinned text. */
export async function writeBundleZip(files: BundleFile[], dockerrunText: string | null, zipPath: string): Promise<number> {
  const zip = new yazl.ZipFile();
  for (const file of files) {
    if (file.name === DOCKERRUN && dockerrunText !== null) zip.addBuffer(Buffer.from(dockerrunText), file.name, { mtime: ZIP_MTIME, mode: 0o100644 });
    else zip.addBuffer(await readFile(file.absolute), file.name, { mtime: ZIP_MTIME, mode: 0o100644 });
  }
  zip.end();
  const tmp = `${zipPath}.tmp`;
  await pipeline(zip.outputStream, createWriteStream(tmp));
  await rename(tmp, zipPath);
  return (await lstat(zipPath)).size;
}
