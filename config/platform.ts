/**
 * What a Beanstalk platform runs from its source bundle, read from the platform's name (a
 * solution stack such as "64bit Amazon Linux 2023 v4.1.0 running Python 3.11", or a platform
 * ARN, which carries the branch name). Pure string work: the schema and the activities both use it.
 */

/** The Docker platform's bundle entries, the default of beanstalk.bundle. */
export const DOCKER_BUNDLE_ENTRIES: readonly string[] = ['Dockerrun.aws.json', '.ebextensions', '.platform'];

/** The Docker platform runs the image Dockerrun.aws.json names; every other platform runs the bundle's own files. */
export function isDockerPlatform(platform: string): boolean {
  return /docker/i.test(platform);
}

/** The Python platform starts `application:application` (application.py) unless a Procfile says otherwise. */
export function isPythonPlatform(platform: string): boolean {
  return /python/i.test(platform);
}

/** A bundle list that names only the Docker platform's files (the default), with no app files at all. */
export function dockerOnlyBundle(entries: readonly string[]): boolean {
  return entries.every((e) => DOCKER_BUNDLE_ENTRIES.includes(e.replace(/^\.\/|\/+$/g, '')));
}
