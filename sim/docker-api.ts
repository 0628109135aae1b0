import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { ControlError, readJsonObject } from './control-request.js';
import { sendJson } from './http-util.js';
import { advanceWorld } from './world.js';
import { AwsError } from './errors.js';
import { authorize } from './auth/authorize.js';
import { iamActionFor } from './auth/actions.js';
import { findToken, PUBLIC_ALIAS, PUBLIC_REGISTRY, privateRegistry, holdsImage, recordPush, repositoryArn, repositoryExists, type Flavour } from './services/ecr.js';
import { requestContext, type SimContext } from './context.js';
import type { DockerImage } from './state.js';

const PRIVATE_REGISTRY = /^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/;

/** Which sim registry a docker registry host names, if any, in the context of its region. */
function registryOf(ctx: SimContext, registry: string): { flavour: 'ecr' | 'ecrPublic'; ctx: SimContext } | undefined {
  const region = PRIVATE_REGISTRY.exec(registry)?.[1];
  if (region !== undefined && registry === privateRegistry(region)) return { flavour: 'ecr', ctx: requestContext(ctx, region, '') };
  // ECR Public's one registry is served from us-east-1.
  if (registry === PUBLIC_REGISTRY) return { flavour: 'ecrPublic', ctx: requestContext(ctx, 'us-east-1', '') };
  return undefined;
}

/** Who a login was made as: the token's principal, or the bare registry user when it had none. */
const ANONYMOUS = 'AWS';

/**
 * A registry authorizes each step of a push as the identity the token was issued to: the layer
 * checks and uploads, then the manifest. A layer the repository already holds is not uploaded,
 * so a push of an image it has needs only the check and PutImage. With policies off, or a token
 * issued to nobody, everything passes (as authorize() does for an unsigned request).
 */
function authorizePush(target: { flavour: Flavour; ctx: SimContext }, principalArn: string, repoName: string, hasImage: boolean): void {
  const caller = target.ctx.auth.byArn(principalArn);
  if (!caller) return;
  const service = target.flavour === 'ecr' ? 'ecr' : 'ecr-public';
  const steps = hasImage
    ? ['BatchCheckLayerAvailability', 'PutImage']
    : ['BatchCheckLayerAvailability', 'InitiateLayerUpload', 'UploadLayerPart', 'CompleteLayerUpload', 'PutImage'];
  const ctx: SimContext = Object.create(target.ctx, { caller: { value: caller } }) as SimContext;
  try {
    for (const step of steps) authorize(ctx, iamActionFor(service, step), repositoryArn(ctx, target.flavour, repoName));
  } catch (err) {
    // Docker prints the registry's refusal after "denied: ", as ECR words it.
    if (err instanceof AwsError) throw new ControlError(403, `denied: ${err.message}`);
    throw err;
  }
}

const str = (body: Record<string, unknown>, name: string): string => {
  const v = body[name];
  if (typeof v !== 'string' || v === '') throw new ControlError(400, `${name} must be a non-empty string`);
  return v;
};

/**
 * Routes used by the docker CLI test double (sim/docker-double/): its logins, local images and
 * pushes live in the sim so pushes land in the ECR registries the deploy step verifies.
 */
export async function handleDockerControl(req: IncomingMessage, res: ServerResponse, path: string, ctx: SimContext): Promise<void> {
  const route = `${req.method ?? 'GET'} ${path}`;
  const docker = ctx.store.state.docker;
  advanceWorld(ctx);
  switch (route) {
    case 'POST /_sim/docker/fault': {
      const operation = str(await readJsonObject(req), 'operation');
      const [fault] = ctx.faults.fire('docker', operation, (s) => s.hang !== undefined || s.exitCode !== undefined);
      sendJson(res, 200, { fault: fault ? { hang: fault.hang ?? false, exitCode: fault.exitCode ?? 1, message: fault.message } : null });
      return;
    }
    case 'POST /_sim/docker/login': {
      const body = await readJsonObject(req);
      const registry = str(body, 'registry');
      const target = registryOf(ctx, registry);
      if (!target) throw new ControlError(404, `unknown registry ${registry}`);
      const token = findToken(target.ctx, target.flavour, str(body, 'password'));
      if (str(body, 'username') !== 'AWS' || !token) throw new ControlError(401, 'bad credentials');
      docker.logins[registry] = token.principalArn ?? ANONYMOUS;
      ctx.store.save();
      sendJson(res, 200, { ok: true });
      return;
    }
    case 'GET /_sim/docker/images':
      sendJson(res, 200, { images: docker.images, logins: Object.keys(docker.logins) });
      return;
    case 'PUT /_sim/docker/images': {
      const image = (await readJsonObject(req)) as unknown as DockerImage;
      if (typeof image.id !== 'string' || !Array.isArray(image.repoTags)) throw new ControlError(400, 'image needs id and repoTags');
      // A tag names one image: moving it strips it from whichever image had it.
      for (const other of docker.images) other.repoTags = other.repoTags.filter((t) => !image.repoTags.includes(t));
      docker.images = docker.images.filter((i) => i.id !== image.id && (i.repoTags.length > 0 || i.repoDigests.length > 0));
      docker.images.push(image);
      ctx.store.save();
      sendJson(res, 200, { ok: true });
      return;
    }
    case 'POST /_sim/docker/push': {
      const body = await readJsonObject(req);
      const registry = str(body, 'registry');
      const repository = str(body, 'repository');
      const tag = str(body, 'tag');
      const imageId = str(body, 'imageId');
      const size = typeof body.size === 'number' ? body.size : 0;
      const target = registryOf(ctx, registry);
      if (!target) throw new ControlError(404, `unknown registry ${registry}`);
      const { flavour } = target;
      const login = docker.logins[registry];
      if (!login) throw new ControlError(401, 'no basic auth credentials');
      // ECR Public repository paths carry the registry alias first.
      const repoName = flavour === 'ecrPublic' ? repository.replace(new RegExp(`^${PUBLIC_ALIAS}/`), '') : repository;
      if ((flavour === 'ecrPublic' && !repository.startsWith(`${PUBLIC_ALIAS}/`)) || !repositoryExists(target.ctx, flavour, repoName)) {
        throw new ControlError(404, `name unknown: The repository with name '${repoName}' does not exist in the registry with id '123456789012'`);
      }
      const digest = `sha256:${createHash('sha256').update(`manifest:${imageId}`).digest('hex')}`;
      authorizePush(target, login, repoName, holdsImage(target.ctx, flavour, repoName, digest));
      recordPush(target.ctx, flavour, repoName, tag, digest, size);
      const image = docker.images.find((i) => i.id === imageId);
      const repoDigest = `${registry}/${repository}@${digest}`;
      if (image && !image.repoDigests.includes(repoDigest)) image.repoDigests.push(repoDigest);
      ctx.store.save();
      sendJson(res, 200, { digest });
      return;
    }
    default:
      throw new ControlError(404, `No docker route ${route}`);
  }
}
