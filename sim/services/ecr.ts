import { randomBytes } from 'node:crypto';
import { AwsError } from '../errors.js';
import { authorize } from '../auth/authorize.js';
import { ACCOUNT_ID } from '../ids.js';
import { epochSeconds, now } from '../clock.js';
import { paginate } from '../pagination.js';
import { regional } from '../regions.js';
import type { JsonHandler } from '../protocols/types.js';
import type { Input } from '../protocols/input.js';
import type { SimContext } from '../context.js';
import type { EcrImage, EcrRepository, RegistryToken } from '../state.js';
import { applyLifecyclePolicy, parseLifecyclePolicy } from './ecr-lifecycle.js';

/** The registry alias every ECR Public repository of the sim lives under. */
export const PUBLIC_ALIAS = 'sim';
export const PUBLIC_REGISTRY = 'public.ecr.aws';
export const privateRegistry = (region: string): string => `${ACCOUNT_ID}.dkr.ecr.${region}.amazonaws.com`;

/** ECR Public's API answers only here (botocore's endpoints list these two and no other). */
export const ECR_PUBLIC_REGIONS = ['us-east-1', 'us-west-2'] as const;

const TOKEN_TTL_MS = 12 * 3600 * 1000;
const REPO_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export type Flavour = 'ecr' | 'ecrPublic';

function section(ctx: SimContext, flavour: Flavour): { repositories: Record<string, EcrRepository>; tokens: RegistryToken[] } {
  return flavour === 'ecr' ? regional(ctx).ecr : ctx.store.state.ecrPublic;
}

const repoNotFound = (name: string): AwsError =>
  new AwsError('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT_ID}'`);

function repositoryUri(ctx: SimContext, flavour: Flavour, name: string): string {
  return flavour === 'ecr' ? `${privateRegistry(ctx.region)}/${name}` : `${PUBLIC_REGISTRY}/${PUBLIC_ALIAS}/${name}`;
}

/** The repository's ARN, as DescribeRepositories reports it and as pushes are authorized against. */
export function repositoryArn(ctx: SimContext, flavour: Flavour, name: string): string {
  return flavour === 'ecr' ? `arn:aws:ecr:${ctx.region}:${ACCOUNT_ID}:repository/${name}` : `arn:aws:ecr-public:us-east-1:${ACCOUNT_ID}:repository/${name}`;
}

function describeRepo(ctx: SimContext, flavour: Flavour, repo: EcrRepository): Record<string, unknown> {
  return {
    repositoryArn: repositoryArn(ctx, flavour, repo.name),
    registryId: ACCOUNT_ID,
    repositoryName: repo.name,
    repositoryUri: repositoryUri(ctx, flavour, repo.name),
    createdAt: epochSeconds(repo.createdAt),
    ...(flavour === 'ecr' ? { imageTagMutability: 'MUTABLE', imageScanningConfiguration: { scanOnPush: false }, encryptionConfiguration: { encryptionType: 'AES256' } } : {}),
  };
}

function describeImage(repo: EcrRepository, image: EcrImage): Record<string, unknown> {
  return {
    registryId: ACCOUNT_ID,
    repositoryName: repo.name,
    imageDigest: image.digest,
    imageTags: image.tags.length > 0 ? image.tags : undefined,
    imageSizeInBytes: image.sizeInBytes,
    imagePushedAt: epochSeconds(image.pushedAt),
    imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    artifactMediaType: 'application/vnd.docker.container.image.v1+json',
  };
}

function maxResults(input: Input, limit: number): number {
  const max = input.optInt('maxResults') ?? limit;
  if (max < 1 || max > 1000) throw new AwsError('InvalidParameterException', `Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'`);
  return max;
}

const invalidToken = (): AwsError => new AwsError('InvalidParameterException', 'Invalid parameter at \'nextToken\': the token is not valid');

/**
 * Issues a registry password (the part after `AWS:` in the token) the docker double will accept,
 * tied to the caller: a registry authorizes each push as the identity that asked for the token.
 */
function issueToken(ctx: SimContext, flavour: Flavour): { token: string; expiresAt: number } {
  const password = `sim${randomBytes(24).toString('base64url')}`;
  const tokens = section(ctx, flavour).tokens;
  tokens.push({ password, ...(ctx.caller ? { principalArn: ctx.caller.arn } : {}) });
  // Keep the newest few, as real tokens expire.
  if (tokens.length > 20) tokens.splice(0, tokens.length - 20);
  return { token: Buffer.from(`AWS:${password}`).toString('base64'), expiresAt: epochSeconds(now() + TOKEN_TTL_MS) };
}

/** Records a pushed digest under a tag (moving the tag off any older image), as a registry does. */
export function recordPush(ctx: SimContext, flavour: Flavour, repositoryName: string, tag: string, digest: string, size: number): void {
  const repo = section(ctx, flavour).repositories[repositoryName];
  if (!repo) throw repoNotFound(repositoryName);
  for (const img of repo.images) img.tags = img.tags.filter((t) => t !== tag);
  const existing = repo.images.find((i) => i.digest === digest);
  if (existing) {
    existing.tags.push(tag);
    existing.pushedAt = now();
  } else {
    repo.images.push({ digest, tags: [tag], sizeInBytes: size, pushedAt: now() });
  }
  // ECR runs lifecycle policies on its own, within a day; the sim runs them at each push.
  if (flavour === 'ecr' && repo.lifecyclePolicy) {
    repo.images = applyLifecyclePolicy(parseLifecyclePolicy(repo.lifecyclePolicy.text), repo.images, now());
    repo.lifecyclePolicy.evaluatedAt = now();
  }
}

/** The token a registry password belongs to, if the registry issued it. */
export function findToken(ctx: SimContext, flavour: Flavour, password: string): RegistryToken | undefined {
  // A state file from before tokens named their principal holds bare strings: those no longer log in.
  return section(ctx, flavour).tokens.find((t) => typeof t === 'object' && t.password === password);
}

export function holdsImage(ctx: SimContext, flavour: Flavour, name: string, digest: string): boolean {
  return section(ctx, flavour).repositories[name]?.images.some((i) => i.digest === digest) ?? false;
}

export function repositoryExists(ctx: SimContext, flavour: Flavour, name: string): boolean {
  return section(ctx, flavour).repositories[name] !== undefined;
}

function handlers(flavour: Flavour): Record<string, JsonHandler> {
  return {
    GetAuthorizationToken(_input, ctx) {
      // ECR Public's token is an STS bearer token: AWS also requires sts:GetServiceBearerToken.
      if (flavour === 'ecrPublic') authorize(ctx, 'sts:GetServiceBearerToken', '*');
      const { token, expiresAt } = issueToken(ctx, flavour);
      return flavour === 'ecr'
        ? { authorizationData: [{ authorizationToken: token, expiresAt, proxyEndpoint: `https://${privateRegistry(ctx.region)}` }] }
        : { authorizationData: { authorizationToken: token, expiresAt } };
    },

    CreateRepository(input, ctx) {
      const name = input.str('repositoryName');
      if (name.length < 2 || name.length > 256 || !REPO_NAME.test(name)) {
        throw new AwsError('InvalidParameterException', `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '${REPO_NAME.source}''`);
      }
      const repos = section(ctx, flavour).repositories;
      if (repos[name]) {
        throw new AwsError('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${ACCOUNT_ID}'`);
      }
      const repo: EcrRepository = { name, createdAt: now(), images: [] };
      repos[name] = repo;
      return { repository: describeRepo(ctx, flavour, repo) };
    },

    DeleteRepository(input, ctx) {
      const name = input.str('repositoryName');
      const repos = section(ctx, flavour).repositories;
      const repo = repos[name];
      if (!repo) throw repoNotFound(name);
      if (repo.images.length > 0 && input.optBool('force') !== true) {
        throw new AwsError('RepositoryNotEmptyException', `The repository with name '${name}' in registry with id '${ACCOUNT_ID}' cannot be deleted because it still contains images`);
      }
      delete repos[name];
      return { repository: describeRepo(ctx, flavour, repo) };
    },

    DescribeRepositories(input, ctx) {
      const repos = section(ctx, flavour).repositories;
      const names = input.optStrList('repositoryNames');
      let list: EcrRepository[];
      if (names) {
        list = names.map((n) => {
          const repo = repos[n];
          if (!repo) throw repoNotFound(n);
          return repo;
        });
      } else {
        list = Object.values(repos).sort((a, b) => a.name.localeCompare(b.name));
      }
      const { page, next } = paginate(list, maxResults(input, 100), input.optStr('nextToken'), invalidToken);
      return { repositories: page.map((r) => describeRepo(ctx, flavour, r)), nextToken: next };
    },

    BatchDeleteImage(input, ctx) {
      const name = input.str('repositoryName');
      const repo = section(ctx, flavour).repositories[name];
      if (!repo) throw repoNotFound(name);
      const ids = input.optObjList('imageIds');
      if (!ids || ids.length === 0) throw new AwsError('InvalidParameterException', `Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length greater than or equal to 1'`);
      if (ids.length > 100) throw new AwsError('InvalidParameterException', `Invalid parameter at 'imageIds' failed to satisfy constraint: 'Member must have length less than or equal to 100'`);
      const deleted: Record<string, string>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const id of ids) {
        const digest = id.optStr('imageDigest');
        const tag = id.optStr('imageTag');
        const imageId = { ...(digest !== undefined ? { imageDigest: digest } : {}), ...(tag !== undefined ? { imageTag: tag } : {}) };
        if (digest === undefined && tag === undefined) {
          failures.push({ imageId, failureCode: 'MissingDigestAndTag', failureReason: 'Invalid request parameters: both tag and digest cannot be null' });
          continue;
        }
        const image = repo.images.find((i) => (digest === undefined || i.digest === digest) && (tag === undefined || i.tags.includes(tag)));
        if (!image) {
          failures.push({ imageId, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
          continue;
        }
        // By tag alone only the tag goes, unless it was the image's last one; by digest the image goes.
        if (digest === undefined && image.tags.length > 1) {
          image.tags = image.tags.filter((t) => t !== tag);
        } else {
          repo.images = repo.images.filter((i) => i !== image);
        }
        deleted.push({ imageDigest: image.digest, ...(tag !== undefined ? { imageTag: tag } : {}) });
      }
      return { imageIds: deleted, failures };
    },

    DescribeImages(input, ctx) {
      const name = input.str('repositoryName');
      const repo = section(ctx, flavour).repositories[name];
      if (!repo) throw repoNotFound(name);
      const ids = input.optObjList('imageIds');
      let images = [...repo.images].sort((a, b) => b.pushedAt - a.pushedAt);
      if (ids) {
        images = ids.map((id) => {
          const digest = id.optStr('imageDigest');
          const tag = id.optStr('imageTag');
          const found = repo.images.find((i) => (digest === undefined || i.digest === digest) && (tag === undefined || i.tags.includes(tag)));
          if (!found) {
            throw new AwsError('ImageNotFoundException',
              `The image with imageId {imageDigest:'${digest ?? 'null'}', imageTag:'${tag ?? 'null'}'} does not exist within the repository with name '${name}' in the registry with id '${ACCOUNT_ID}'`);
          }
          return found;
        });
      }
      const { page, next } = paginate(images, maxResults(input, 100), input.optStr('nextToken'), invalidToken);
      return { imageDetails: page.map((i) => describeImage(repo, i)), nextToken: next };
    },
  };
}

const lifecycleNotFound = (name: string): AwsError =>
  new AwsError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '${ACCOUNT_ID}'`);

/** Private ECR's lifecycle policies (ECR Public has none). */
const lifecycleHandlers: Record<string, JsonHandler> = {
  PutLifecyclePolicy(input, ctx) {
    const name = input.str('repositoryName');
    const repo = section(ctx, 'ecr').repositories[name];
    if (!repo) throw repoNotFound(name);
    const text = input.str('lifecyclePolicyText');
    parseLifecyclePolicy(text);
    repo.lifecyclePolicy = { text };
    return { registryId: ACCOUNT_ID, repositoryName: name, lifecyclePolicyText: text };
  },
  GetLifecyclePolicy(input, ctx) {
    const name = input.str('repositoryName');
    const repo = section(ctx, 'ecr').repositories[name];
    if (!repo) throw repoNotFound(name);
    if (!repo.lifecyclePolicy) throw lifecycleNotFound(name);
    return {
      registryId: ACCOUNT_ID, repositoryName: name, lifecyclePolicyText: repo.lifecyclePolicy.text,
      ...(repo.lifecyclePolicy.evaluatedAt !== undefined ? { lastEvaluatedAt: epochSeconds(repo.lifecyclePolicy.evaluatedAt) } : {}),
    };
  },
};

export const ecrHandlers = { ...handlers('ecr'), ...lifecycleHandlers };
export const ecrPublicHandlers = handlers('ecrPublic');
