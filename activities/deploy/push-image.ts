import path from 'node:path';
import { DescribeImagesCommand as DescribePrivateImages } from '@aws-sdk/client-ecr';
import { DescribeImagesCommand as DescribePublicImages } from '@aws-sdk/client-ecr-public';
import { activityInfo, log } from '@temporalio/activity';
import type { AwsClientFactory, AwsClients } from '../aws/clients.js';
import { withStepProgress } from '../compile/progress-reporter.js';
import { nonRetryable, retryable } from '../failures.js';
import { tailLines } from '../process/log-follower.js';
import { runDir } from '../run-dir.js';
import { awsErrorCode, rethrowAws } from '../aws/errors.js';
import { dockerEnv, type ImageSite } from './deploy-config.js';
import { currentAttemptLog, dockerOutput, runBoundedProcess } from './docker-process.js';
import { loginToRegistry, parseRepository, type RegistryRef } from './registry-login.js';

export interface PushImageInput {
  site: ImageSite;
  /** `name:tag` as built. */
  localRef: string;
  tag: string;
  progressSignal?: string;
}

export interface PushedImage {
  repository: string;
  tag: string;
  digest: string;
  /** `repository@sha256:…`: what the source bundle runs. */
  reference: string;
  sizeBytes: number | null;
  attempts: number;
  pushed: boolean;
}

/** Clients for the registry's own API region (ECR Public answers in us-east-1 only). */
export function registryClients(aws: AwsClientFactory, site: Pick<ImageSite, 'aws'>, ref: RegistryRef): AwsClients {
  return aws({ ...site.aws, region: ref.kind === 'ecr-public' ? 'us-east-1' : (ref.region ?? site.aws.region) });
}

/**
 * Log in with a fresh token, tag, push (bounded by image.pushTimeoutMinutes per attempt), read
 * the pushed digest from docker's output and confirm it with DescribeImages.
 */
export async function pushImage(aws: AwsClientFactory, input: PushImageInput): Promise<PushedImage> {
  const image = input.site.image;
  if (!image) throw nonRetryable('InvalidConfig', 'Config has no "image" section: add one to push an image.', { field: 'image' });
  const ref = parseRepository(image.repository);
  const clients = registryClients(aws, input.site, ref);
  const dir = runDir(input.site.stateDir);
  const dockerConfigDir = path.join(dir, 'docker-config');
  const env = dockerEnv(input.site, dockerConfigDir);
  const remoteRef = `${ref.uri}:${input.tag}`;
  const { attempt } = activityInfo();
  const attempts = `attempt ${attempt} of ${image.pushAttempts}`;

  await loginToRegistry({ clients, ref, dockerPath: image.dockerPath, dockerConfigDir, env });
  await dockerOutput(image.dockerPath, ['tag', input.localRef, remoteRef], env);
  const timeoutMs = image.pushTimeoutMinutes * 60_000;
  const result = await withStepProgress(input.progressSignal, 'push', (onProgress) =>
    runBoundedProcess({
      dir: path.join(dir, 'push-image'),
      command: [image.dockerPath, 'push', remoteRef],
      cwd: input.site.siteDir,
      env,
      progressPattern: String.raw`(\d+)\s*/\s*(\d+)`,
      killGraceMs: 5000,
      onProgress,
      slot: { stateDir: input.site.stateDir, name: 'docker-push', label: 'docker push' },
      timeoutMs,
    }),
  );
  const tail = await tailLines(result.logPath, 8);
  if (result.timedOut) {
    throw retryable('PushTimedOut', `docker push of ${remoteRef} did not finish within ${formatMinutes(image.pushTimeoutMinutes)} (${attempts}); it was ended. Log: ${result.logPath}\n${tail}`);
  }
  if (result.exitCode !== 0) {
    const how = result.exitCode === null ? `was killed (${result.signal ?? 'signal'})` : `exited with code ${result.exitCode}`;
    const message = `docker push of ${remoteRef} ${how} (${attempts}). Log: ${result.logPath}\n--- last lines ---\n${tail}`;
    refusedByIam(tail, remoteRef, ref, message);
    // The registry refusing the repository or the credentials will not change on a retry.
    if (/name unknown|denied|repository .* not found|does not exist in the registry/i.test(tail)) {
      throw nonRetryable('PushFailed', `${message}\nCheck image.repository and the worker's AWS permissions.`);
    }
    throw retryable('PushAttemptFailed', message);
  }
  const output = await currentAttemptLog(result.logPath);
  const digest = [...output.matchAll(/digest: (sha256:[0-9a-f]{64})/g)].at(-1)?.[1];
  if (!digest) throw retryable('PushAttemptFailed', `docker push of ${remoteRef} printed no digest (${attempts}); retrying. Log: ${result.logPath}`);
  const sizeBytes = await confirmDigest(clients, ref, digest, input.tag);
  log.info('image pushed', { reference: `${ref.uri}@${digest}`, attempt });
  return { repository: ref.uri, tag: input.tag, digest, reference: `${ref.uri}@${digest}`, sizeBytes, attempts: attempt, pushed: true };
}

/**
 * A registry refuses a push step the token's identity may not take ("denied: User: <arn> is not
 * authorized to perform: ecr-public:PutImage on resource: <arn>"): final until the policy changes,
 * so it fails at once, naming the action and the policy statement that grants it.
 */
function refusedByIam(tail: string, remoteRef: string, ref: RegistryRef, message: string): void {
  const refusal = /User: (\S+) is not authorized to perform: (\S+) on resource: (\S+)/.exec(tail);
  if (!refusal) return;
  const [, principal, action, resource] = refusal as unknown as [string, string, string, string];
  const statement = ref.kind === 'ecr-public' ? 'ImagePushToEcrPublic' : 'ImagePushToPrivateEcr';
  throw nonRetryable('MissingPermission',
    `The registry refused the push of ${remoteRef}: ${principal} is not allowed ${action} on ${resource}. ` +
      `Add "${action}" to the Action list of statement "${statement}" in the identity's policy (see docs/iam-policy.json), then start again.\n${message}`,
    { action, resource });
}

/** The registry's own word that the digest is there (and, when asked, under the tag). */
async function confirmDigest(clients: AwsClients, ref: RegistryRef, digest: string, tag: string | undefined): Promise<number | null> {
  try {
    const details =
      ref.kind === 'ecr-public'
        ? (await clients.ecrPublic.send(new DescribePublicImages({ repositoryName: ref.repositoryName, imageIds: [{ imageDigest: digest }] }))).imageDetails
        : (await clients.ecr.send(new DescribePrivateImages({ repositoryName: ref.repositoryName, imageIds: [{ imageDigest: digest }] }))).imageDetails;
    const found = details?.[0];
    if (!found) throw retryable('PushAttemptFailed', `the registry does not list ${digest} yet; retrying.`);
    if (tag && !(found.imageTags ?? []).includes(tag)) log.warn('pushed digest no longer carries the tag (pushed over since?)', { digest, tag });
    return found.imageSizeInBytes ?? null;
  } catch (err) {
    if (awsErrorCode(err) === 'ImageNotFoundException') throw retryable('PushAttemptFailed', `docker reported ${digest} but the registry does not have it; retrying the push.`);
    rethrowAws(err, `Confirming ${digest} in ${ref.uri}`);
  }
}

export interface ResolveImageInput {
  site: ImageSite;
  tag: string;
}

/** For `skipBuild`: the digest the registry holds under the tag, so the deploy is pinned all the same. */
export async function resolvePushedImage(aws: AwsClientFactory, input: ResolveImageInput): Promise<PushedImage> {
  const image = input.site.image;
  if (!image) throw nonRetryable('InvalidConfig', 'Config has no "image" section.', { field: 'image' });
  const ref = parseRepository(image.repository);
  const clients = registryClients(aws, input.site, ref);
  try {
    const details =
      ref.kind === 'ecr-public'
        ? (await clients.ecrPublic.send(new DescribePublicImages({ repositoryName: ref.repositoryName, imageIds: [{ imageTag: input.tag }] }))).imageDetails
        : (await clients.ecr.send(new DescribePrivateImages({ repositoryName: ref.repositoryName, imageIds: [{ imageTag: input.tag }] }))).imageDetails;
    const digest = details?.[0]?.imageDigest;
    if (!digest) throw new Error('no digest');
    return { repository: ref.uri, tag: input.tag, digest, reference: `${ref.uri}@${digest}`, sizeBytes: details?.[0]?.imageSizeInBytes ?? null, attempts: 0, pushed: false };
  } catch (err) {
    if (awsErrorCode(err) === 'ImageNotFoundException' || (err as Error).message === 'no digest') {
      throw nonRetryable('PushFailed', `"skipBuild" was set but ${ref.uri} has no image tagged "${input.tag}": push it first or start without skipBuild.`);
    }
    rethrowAws(err, `Looking up ${ref.uri}:${input.tag}`);
  }
}

function formatMinutes(minutes: number): string {
  return minutes < 1 ? `${Math.round(minutes * 60)} s` : `${minutes} min`;
}
