import path from 'node:path';
import { activityInfo, log } from '@temporalio/activity';
import { withStepProgress } from '../compile/progress-reporter.js';
import { nonRetryable, retryable } from '../failures.js';
import { tailLines } from '../process/log-follower.js';
import { runTrackedProcess } from '../process/tracked-process.js';
import { runDir } from '../run-dir.js';
import { dockerEnv, type ImageSite } from './deploy-config.js';
import { dockerOutput } from './docker-process.js';

export interface BuildImageInput {
  site: ImageSite;
  tag: string;
  progressSignal?: string;
}

export interface BuiltImage {
  /** Local reference, `name:tag`. */
  localRef: string;
  imageId: string;
  durationMs: number;
  adopted: boolean;
  logPath: string;
}

/**
 * `docker build` on the worker (the image needs more memory than an AWS build box has), as a
 * tracked process: output to a log on disk, the last line in heartbeats, adopted after a crash.
 */
export async function buildImage(input: BuildImageInput): Promise<BuiltImage> {
  const image = input.site.image;
  if (!image) throw nonRetryable('InvalidConfig', 'Config has no "image" section: add one to build an image.', { field: 'image' });
  const localRef = `${image.name}:${input.tag}`;
  const command = [image.dockerPath, 'build', ...image.buildArgs, '-t', localRef, image.context];
  const result = await withStepProgress(input.progressSignal, 'build', (onProgress) =>
    runTrackedProcess({
      dir: path.join(runDir(input.site.stateDir), 'build-image'),
      command,
      cwd: input.site.siteDir,
      env: dockerEnv(input.site),
      // Build output has step counters like "[3/7]"; they make a fair progress bar.
      progressPattern: String.raw`\[(\d+)/(\d+)\]`,
      killGraceMs: 10_000,
      onProgress,
      slot: { stateDir: input.site.stateDir, name: 'docker-build', label: 'docker build' },
    }),
  );
  if (result.exitCode !== 0) {
    const tail = await tailLines(result.logPath, 15);
    if (result.exitCode === null) {
      throw retryable('ImageBuildCrashed', `docker build of ${localRef} was killed (${result.signal ?? 'signal'}); retrying. Log: ${result.logPath}\n${tail}`);
    }
    throw nonRetryable('ImageBuildFailed', `docker build of ${localRef} exited with code ${result.exitCode}: fix the Dockerfile or build context, then start a new deploy. Log: ${result.logPath}\n--- last lines ---\n${tail}`);
  }
  const imageId = await dockerOutput(image.dockerPath, ['image', 'inspect', '--format', '{{.Id}}', localRef], dockerEnv(input.site));
  log.info('image built', { localRef, imageId, attempt: activityInfo().attempt, durationMs: result.durationMs });
  return { localRef, imageId, durationMs: result.durationMs, adopted: result.adopted, logPath: result.logPath };
}
