import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DOCKER_BUNDLE_ENTRIES, dockerOnlyBundle, isDockerPlatform, isPythonPlatform } from '../../config/platform.js';
import { nonRetryable } from '../failures.js';
import type { DeploySite } from './deploy-config.js';
import { checkPythonEntry, listBundleFiles, type BundleFile } from './source-bundle.js';

export interface AppBundle {
  files: string[];
  /** SHA-256 (hex) over every file's name and bytes: the same app gives the same digest. */
  digest: string;
}

/**
 * The bundle of a site without an image section: the app's own files, for a platform that runs
 * them (Python, and every other non-Docker platform). Checked before anything is uploaded: the
 * platform must not be Docker, the list must name app files, and a Python app needs its entry.
 */
export async function checkAppBundle(site: DeploySite, platform: string | null): Promise<AppBundle> {
  const { environment } = site.beanstalk;
  if (platform !== null && isDockerPlatform(platform)) {
    throw nonRetryable(
      'InvalidConfig',
      `Config has no "image" section, but ${site.beanstalk.platform ? 'beanstalk.platform' : `environment ${environment}`} runs the Docker platform (${platform}): ` +
        'add image.name and image.repository (or start with "restartOnly": true).',
      { field: 'image' },
    );
  }
  if (dockerOnlyBundle(site.beanstalk.bundle)) {
    throw nonRetryable(
      'InvalidConfig',
      `beanstalk.bundle lists only the Docker platform's files (${DOCKER_BUNDLE_ENTRIES.join(', ')}), but ${environment} runs ${platform ?? 'a non-Docker platform'}, which runs the app's own files: ` +
        'list them, such as ["."] (the site dir minus what .ebignore excludes) or ["application.py", "requirements.txt"].',
      { field: 'beanstalk.bundle' },
    );
  }
  const files = await listBundleFiles(site.siteDir, site.beanstalk.bundle, 'source', site.stateDir);
  if (files.length === 0) {
    throw nonRetryable('BundleInvalid', `The source bundle is empty: beanstalk.bundle (${site.beanstalk.bundle.join(', ')}) names nothing in ${site.siteDir} that .ebignore lets through.`, { field: 'beanstalk.bundle' });
  }
  if (platform !== null && isPythonPlatform(platform)) checkPythonEntry(files, site.siteDir);
  return { files: files.map((f) => f.name), digest: await digestOf(files) };
}

async function digestOf(files: BundleFile[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    hash.update(`${file.name}\0${file.size}\0`);
    hash.update(await readFile(file.absolute));
  }
  return hash.digest('hex');
}
