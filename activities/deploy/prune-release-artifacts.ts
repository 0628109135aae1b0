import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { BatchDeleteImageCommand as BatchDeletePrivate, DescribeImagesCommand as DescribePrivateImages, GetLifecyclePolicyCommand, PutLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { BatchDeleteImageCommand as BatchDeletePublic, DescribeImagesCommand as DescribePublicImages } from '@aws-sdk/client-ecr-public';
import { heartbeat, log } from '@temporalio/activity';
import type { AwsClientFactory, AwsClients } from '../aws/clients.js';
import { awsErrorCode, rethrowAws } from '../aws/errors.js';
import { bundleImageDigests } from './bundle-images.js';
import type { DeploySite } from './deploy-config.js';
import { registryClients } from './push-image.js';
import { parseRepository, type RegistryRef } from './registry-login.js';
import { DEFAULT_KEEP_VERSIONS, listVersions, versionsInUse } from './version-lifecycle.js';

/** Images kept beyond the ones retained versions run, unless the config says otherwise. */
export const DEFAULT_KEEP_IMAGES = 10;

export interface PruneInput {
  site: DeploySite;
  /** The bucket this deploy's bundle went to: stray bundles of the application are swept there. */
  bucket: string;
  /** The digest just deployed: never deleted (absent for an app bundle, which runs no image). */
  digest?: string;
}

export interface PruneResult {
  versions: number;
  bundlesDeleted: string[];
  imagesDeleted: string[];
  /** Null when images were left alone this time (no image section, or a retained bundle unreadable). */
  imagesKept: number | null;
  /** Private ECR only: whether this run set the repository's lifecycle policy. */
  lifecyclePolicy: 'set' | 'present' | null;
}

interface RepoImage {
  digest: string;
  pushedAt: number;
}

/**
 * After a successful deploy: bundles in the bucket that no version uses are deleted (a failed
 * deploy's upload, a bundle whose deletion failed), and images of the repository beyond the
 * newest `image.keepImages` that no live or retained version runs are deleted. ECR Public has
 * no lifecycle policies, so this is the only thing that stops images piling up there; private
 * ECR also gets a lifecycle policy for untagged images. Re-running deletes nothing more.
 */
export async function pruneReleaseArtifacts(aws: AwsClientFactory, input: PruneInput): Promise<PruneResult> {
  const { site } = input;
  const clients = aws(site.aws);
  const application = site.beanstalk.application;
  let versions;
  let inUse;
  try {
    versions = await listVersions(clients.beanstalk, application);
    inUse = await versionsInUse(clients.beanstalk, application);
  } catch (err) {
    rethrowAws(err, `Listing the versions of Beanstalk application ${application}`);
  }

  // Bundles: only those a version still names stay.
  const kept = new Set(versions.flatMap((v) => (v.SourceBundle?.S3Bucket === input.bucket && v.SourceBundle.S3Key ? [v.SourceBundle.S3Key] : [])));
  const bundlesDeleted: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await clients.s3.send(new ListObjectsV2Command({ Bucket: input.bucket, Prefix: `${application}/`, ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        if (!object.Key || kept.has(object.Key)) continue;
        await clients.s3.send(new DeleteObjectCommand({ Bucket: input.bucket, Key: object.Key }));
        bundlesDeleted.push(object.Key);
      }
      token = page.NextContinuationToken;
    } while (token);
  } catch (err) {
    rethrowAws(err, `Sweeping unused source bundles from s3://${input.bucket}/${application}/`);
  }

  if (!site.image) return { versions: versions.length, bundlesDeleted, imagesDeleted: [], imagesKept: null, lifecyclePolicy: null };
  const keepImages = site.image.keepImages ?? DEFAULT_KEEP_IMAGES;
  // Images any retained version runs (a rollback target among them) stay, whatever their age.
  const referenced = new Set(input.digest ? [input.digest] : []);
  for (const version of versions) {
    const bundle = version.SourceBundle;
    if (!bundle?.S3Bucket || !bundle.S3Key) continue;
    heartbeat({ reading: version.VersionLabel });
    try {
      const object = await clients.s3.send(new GetObjectCommand({ Bucket: bundle.S3Bucket, Key: bundle.S3Key }));
      const bytes = Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      for (const digest of await bundleImageDigests(bytes)) referenced.add(digest);
    } catch (err) {
      // A version whose bundle cannot be read might run any image: keep them all this time.
      if (inUse.has(version.VersionLabel ?? '') || awsErrorCode(err) !== 'NoSuchKey') {
        log.warn('could not read the images of a retained version; pruning no images this time', { version: version.VersionLabel, error: String(err) });
        return { versions: versions.length, bundlesDeleted, imagesDeleted: [], imagesKept: null, lifecyclePolicy: null };
      }
    }
  }

  const ref = parseRepository(site.image.repository);
  const registry = registryClients(aws, site, ref);
  let imagesDeleted: string[];
  let images: RepoImage[];
  let lifecyclePolicy: PruneResult['lifecyclePolicy'] = null;
  try {
    images = await listImages(registry, ref);
    const newestFirst = [...images].sort((a, b) => b.pushedAt - a.pushedAt);
    const doomed = newestFirst.slice(keepImages).filter((i) => !referenced.has(i.digest)).map((i) => i.digest);
    imagesDeleted = await deleteImages(registry, ref, doomed);
    // Each deploy's image loses its tag to the next push, so retained versions run untagged
    // images: the rule keeps at least as many as versions are kept.
    const keepVersions = site.beanstalk.keepVersions ?? DEFAULT_KEEP_VERSIONS;
    if (ref.kind === 'ecr') lifecyclePolicy = await ensureUntaggedLifecycle(registry, ref, Math.max(keepImages, keepVersions));
  } catch (err) {
    rethrowAws(err, `Pruning old images of ${ref.uri}`);
  }
  log.info('pruned release artifacts', { application, versions: versions.length, bundlesDeleted, imagesDeleted, keepImages });
  return { versions: versions.length, bundlesDeleted, imagesDeleted, imagesKept: images.length - imagesDeleted.length, lifecyclePolicy };
}

async function listImages(clients: AwsClients, ref: RegistryRef): Promise<RepoImage[]> {
  const out: RepoImage[] = [];
  let token: string | undefined;
  do {
    const page = ref.kind === 'ecr-public'
      ? await clients.ecrPublic.send(new DescribePublicImages({ repositoryName: ref.repositoryName, nextToken: token }))
      : await clients.ecr.send(new DescribePrivateImages({ repositoryName: ref.repositoryName, nextToken: token }));
    for (const image of page.imageDetails ?? []) {
      if (image.imageDigest) out.push({ digest: image.imageDigest, pushedAt: image.imagePushedAt?.getTime() ?? 0 });
    }
    token = page.nextToken;
  } while (token);
  return out;
}

async function deleteImages(clients: AwsClients, ref: RegistryRef, digests: string[]): Promise<string[]> {
  const deleted: string[] = [];
  // BatchDeleteImage takes at most 100 image ids.
  for (let i = 0; i < digests.length; i += 100) {
    const imageIds = digests.slice(i, i + 100).map((imageDigest) => ({ imageDigest }));
    const out = ref.kind === 'ecr-public'
      ? await clients.ecrPublic.send(new BatchDeletePublic({ repositoryName: ref.repositoryName, imageIds }))
      : await clients.ecr.send(new BatchDeletePrivate({ repositoryName: ref.repositoryName, imageIds }));
    deleted.push(...(out.imageIds ?? []).flatMap((id) => (id.imageDigest ? [id.imageDigest] : [])));
    // Already gone is what we wanted; anything else is worth a line, not a failed deploy.
    for (const failure of out.failures ?? []) {
      if (failure.failureCode !== 'ImageNotFound') log.warn('an image could not be deleted', { digest: failure.imageId?.imageDigest, code: failure.failureCode, reason: failure.failureReason });
    }
  }
  return deleted;
}

/** Untagged images (older pushes the tag moved off) beyond the kept count expire on their own. */
async function ensureUntaggedLifecycle(clients: AwsClients, ref: RegistryRef, keep: number): Promise<'set' | 'present'> {
  try {
    await clients.ecr.send(new GetLifecyclePolicyCommand({ repositoryName: ref.repositoryName }));
    return 'present';
  } catch (err) {
    if (awsErrorCode(err) !== 'LifecyclePolicyNotFoundException') throw err;
  }
  const policy = {
    rules: [{ rulePriority: 1, description: `release-runbook: keep the newest ${keep} untagged images`, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: keep }, action: { type: 'expire' } }],
  };
  await clients.ecr.send(new PutLifecyclePolicyCommand({ repositoryName: ref.repositoryName, lifecyclePolicyText: JSON.stringify(policy) }));
  return 'set';
}
