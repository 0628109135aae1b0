import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDockerArgs, type ParsedArgs } from './args.js';
import { renderFormat } from './format.js';

// Answers the subset of the docker CLI the release uses, with the real CLI's output shapes and
// exit codes, keeping its images, logins and pushes in the sim (so ECR sees the pushes).

interface DockerImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: number;
  size: number;
  buildArgs: Record<string, string>;
}

class DockerExit extends Error {
  constructor(readonly code: number, readonly stderr: string) {
    super(stderr);
  }
}

function controlUrl(): string {
  const explicit = process.env.SIM_CONTROL_URL;
  if (explicit) return explicit.replace(/\/+$/, '');
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (endpoint) return `${endpoint.replace(/\/+$/, '')}/_sim`;
  throw new DockerExit(1, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
}

async function sim<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  let res: Response;
  try {
    res = await fetch(`${controlUrl()}${path}`, {
      method, headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new DockerExit(1, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
  }
  return { status: res.status, json: (await res.json()) as T };
}

/** Asks the sim whether a fault is set for this subcommand; hangs or fails as told. */
async function checkFault(operation: string, defaultMessage: string): Promise<void> {
  const { json } = await sim<{ fault: { hang: boolean; exitCode: number; message?: string } | null }>('POST', '/docker/fault', { operation });
  if (!json.fault) return;
  if (json.fault.hang) {
    // Sleep until killed, like a push stuck on a dead connection.
    await new Promise<never>(() => setInterval(() => undefined, 1 << 30));
  }
  throw new DockerExit(json.fault.exitCode, json.fault.message ?? defaultMessage);
}

async function images(): Promise<DockerImage[]> {
  return (await sim<{ images: DockerImage[] }>('GET', '/docker/images')).json.images;
}

async function saveImage(image: DockerImage): Promise<void> {
  await sim('PUT', '/docker/images', image);
}

/** `name` → `name:latest`; a digest reference stays as is. */
function normaliseTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

function findImage(all: DockerImage[], ref: string): DockerImage | undefined {
  const tag = normaliseTag(ref);
  const bareId = ref.replace(/^sha256:/, '');
  return all.find((i) => i.repoTags.includes(tag))
    ?? all.find((i) => i.repoDigests.includes(ref))
    ?? (bareId.length >= 4 && /^[0-9a-f]+$/.test(bareId) ? all.find((i) => i.id.replace(/^sha256:/, '').startsWith(bareId)) : undefined);
}

function splitReference(ref: string): { registry: string; repository: string; tag: string } {
  const full = normaliseTag(ref);
  const colon = full.lastIndexOf(':');
  const name = full.slice(0, colon);
  const tag = full.slice(colon + 1);
  const first = name.split('/')[0] ?? '';
  if (name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    return { registry: first, repository: name.slice(first.length + 1), tag };
  }
  return { registry: 'docker.io', repository: name.includes('/') ? name : `library/${name}`, tag };
}

function contextFingerprint(dir: string, hash: ReturnType<typeof createHash>, prefix = ''): number {
  let size = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      size += contextFingerprint(path, hash, `${prefix}${entry.name}/`);
    } else if (entry.isFile()) {
      const s = statSync(path);
      hash.update(`${prefix}${entry.name}\0${s.size}\0${s.mtimeMs}\n`);
      size += s.size;
    }
  }
  return size;
}

async function login(args: ParsedArgs): Promise<void> {
  const registry = args.positional[0] ?? 'https://index.docker.io/v1/';
  const username = args.values.get('username')?.[0] ?? '';
  let password = args.values.get('password')?.[0];
  if (args.flags.has('password-stdin')) {
    if (password !== undefined) throw new DockerExit(1, '--password and --password-stdin are mutually exclusive');
    if (username === '') throw new DockerExit(1, 'Must provide --username with --password-stdin');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  if (password === undefined) throw new DockerExit(1, 'Error: Cannot perform an interactive login from a non TTY device');
  await checkFault('login', `Error response from daemon: Get "https://${registry}/v2/": net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)`);
  const { status } = await sim('POST', '/docker/login', { registry, username, password });
  if (status === 404) throw new DockerExit(1, `Error response from daemon: Get "https://${registry}/v2/": dial tcp: lookup ${registry}: no such host`);
  if (status !== 200) {
    throw new DockerExit(1, registry === 'public.ecr.aws'
      ? `Error response from daemon: login attempt to https://${registry}/v2/ failed with status: 401 Unauthorized`
      : `Error response from daemon: login attempt to https://${registry}/v2/ failed with status: 400 Bad Request`);
  }
  process.stderr.write('WARNING! Your password will be stored unencrypted in /root/.docker/config.json.\n'
    + 'Configure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credential-stores\n\n');
  process.stdout.write('Login Succeeded\n');
}

async function build(args: ParsedArgs): Promise<void> {
  const context = args.positional[0];
  if (context === undefined) throw new DockerExit(1, 'ERROR: "docker buildx build" requires exactly 1 argument.\nSee \'docker buildx build --help\'.\n\nUsage:  docker buildx build [OPTIONS] PATH | URL | -\n\nStart a build');
  const dir = resolve(context);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DockerExit(1, `ERROR: unable to prepare context: path "${context}" not found`);
  const dockerfileArg = args.values.get('file')?.[0] ?? 'Dockerfile';
  const dockerfile = resolve(dir, dockerfileArg);
  if (!existsSync(dockerfile)) {
    throw new DockerExit(1, `ERROR: failed to solve: failed to read dockerfile: open ${dockerfileArg}: no such file or directory`);
  }
  const buildArgs: Record<string, string> = {};
  for (const raw of args.values.get('build-arg') ?? []) {
    const eq = raw.indexOf('=');
    if (eq > 0) buildArgs[raw.slice(0, eq)] = raw.slice(eq + 1);
    else if (process.env[raw] !== undefined) buildArgs[raw] = process.env[raw] as string;
  }
  await checkFault('build', 'ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1');
  const dockerfileText = readFileSync(dockerfile, 'utf8');
  const hash = createHash('sha256').update(dockerfileText);
  for (const key of Object.keys(buildArgs).sort()) hash.update(`${key}=${buildArgs[key]}\n`);
  const contextSize = contextFingerprint(dir, hash);
  const id = `sha256:${hash.digest('hex')}`;
  const tags = (args.values.get('tag') ?? []).map(normaliseTag);
  const steps = dockerfileText.split('\n').map((l) => l.trim()).filter((l) => /^[A-Z]+\s/.test(l));
  const quiet = args.flags.has('quiet');
  const log = (line: string): void => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  log('#0 building with "default" instance using docker driver\n');
  log(`#1 [internal] load build definition from ${dockerfileArg}`);
  log(`#1 transferring dockerfile: ${Buffer.byteLength(dockerfileText)}B done`);
  log('#1 DONE 0.0s\n');
  log('#2 [internal] load .dockerignore\n#2 transferring context: 2B done\n#2 DONE 0.0s\n');
  log(`#3 [internal] load build context\n#3 transferring context: ${contextSize}B done\n#3 DONE 0.1s\n`);
  steps.forEach((step, i) => log(`#${i + 4} [${i + 1}/${steps.length}] ${step}\n#${i + 4} DONE 0.1s\n`));
  const n = steps.length + 4;
  log(`#${n} exporting to image\n#${n} exporting layers done\n#${n} writing image ${id} done`);
  for (const tag of tags) log(`#${n} naming to docker.io/${tag.includes('/') ? '' : 'library/'}${tag} done`);
  log(`#${n} DONE 0.1s`);
  const existing = findImage(await images(), id);
  await saveImage({
    id, repoTags: [...new Set([...(existing?.repoTags ?? []), ...tags])], repoDigests: existing?.repoDigests ?? [],
    created: Date.now(), size: contextSize + 1024, buildArgs,
  });
  if (quiet) process.stdout.write(`${id}\n`);
}

async function tag(args: ParsedArgs): Promise<void> {
  const [source, target] = args.positional;
  if (source === undefined || target === undefined) {
    throw new DockerExit(1, '"docker tag" requires exactly 2 arguments.\nSee \'docker tag --help\'.\n\nUsage:  docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nCreate a tag TARGET_IMAGE that refers to SOURCE_IMAGE');
  }
  const image = findImage(await images(), source);
  if (!image) throw new DockerExit(1, `Error response from daemon: No such image: ${normaliseTag(source)}`);
  await saveImage({ ...image, repoTags: [...new Set([...image.repoTags, normaliseTag(target)])] });
}

const layerIds = (id: string): string[] =>
  [0, 1, 2].map((i) => createHash('sha256').update(`${id}:${i}`).digest('hex').slice(0, 12));

async function push(args: ParsedArgs): Promise<void> {
  const ref = args.positional[0];
  if (ref === undefined) throw new DockerExit(1, '"docker push" requires exactly 1 argument.\nSee \'docker push --help\'.\n\nUsage:  docker push [OPTIONS] NAME[:TAG]\n\nUpload an image to a registry');
  const image = findImage(await images(), ref);
  const { registry, repository, tag: imageTag } = splitReference(ref);
  if (!image || !image.repoTags.includes(normaliseTag(ref))) {
    throw new DockerExit(1, `An image does not exist locally with the tag: ${ref.includes(':') ? ref.slice(0, ref.lastIndexOf(':')) : ref}`);
  }
  const out = (line: string): void => {
    if (!args.flags.has('quiet')) process.stdout.write(`${line}\n`);
  };
  out(`The push refers to repository [${registry === 'docker.io' ? `docker.io/${repository}` : `${registry}/${repository}`}]`);
  const layers = layerIds(image.id);
  for (const layer of layers) out(`${layer}: Preparing`);
  if (registry === 'docker.io') throw new DockerExit(1, 'denied: requested access to the resource is denied');
  await checkFault('push', 'received unexpected HTTP status: 500 Internal Server Error');
  const { status, json } = await sim<{ digest?: string; error?: string }>('POST', '/docker/push', {
    registry, repository, tag: imageTag, imageId: image.id, size: image.size,
  });
  if (status === 401) throw new DockerExit(1, 'no basic auth credentials');
  // The registry's IAM refusal, printed as docker prints a 403: "denied: User: … is not authorized …".
  if (status === 403) throw new DockerExit(1, json.error ?? 'denied: requested access to the resource is denied');
  if (status === 404) throw new DockerExit(1, json.error ?? `name unknown: repository ${repository} not found`);
  if (status !== 200 || !json.digest) throw new DockerExit(1, `received unexpected HTTP status: ${status}`);
  for (const layer of layers) out(`${layer}: Pushed`);
  out(`${imageTag}: digest: ${json.digest} size: 1234`);
  if (args.flags.has('quiet')) process.stdout.write(`${registry}/${repository}:${imageTag}\n`);
}

function inspectJson(image: DockerImage): Record<string, unknown> {
  const created = new Date(image.created).toISOString();
  return {
    Id: image.id,
    RepoTags: image.repoTags,
    RepoDigests: image.repoDigests,
    Parent: '',
    Comment: 'buildkit.dockerfile.v0',
    Created: created,
    DockerVersion: '',
    Author: '',
    Config: {
      Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
      Tty: false, OpenStdin: false, StdinOnce: false,
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', ...Object.entries(image.buildArgs).map(([k, v]) => `${k}=${v}`)],
      Cmd: ['node', 'server.js'], Image: '', Volumes: null, WorkingDir: '/app', Entrypoint: null, OnBuild: null, Labels: null,
    },
    Architecture: 'amd64',
    Os: 'linux',
    Size: image.size,
    GraphDriver: { Data: null, Name: 'overlay2' },
    RootFS: { Type: 'layers', Layers: layerIds(image.id).map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`) },
    Metadata: { LastTagTime: created },
  };
}

async function inspect(args: ParsedArgs): Promise<void> {
  if (args.positional.length === 0) throw new DockerExit(1, '"docker image inspect" requires at least 1 argument.');
  const all = await images();
  const found: Record<string, unknown>[] = [];
  const missing: string[] = [];
  for (const ref of args.positional) {
    const image = findImage(all, ref);
    if (image) found.push(inspectJson(image));
    else missing.push(ref);
  }
  const format = args.values.get('format')?.[0];
  if (format !== undefined) {
    for (const item of found) process.stdout.write(`${renderFormat(format, item)}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
  }
  if (missing.length > 0) throw new DockerExit(1, missing.map((m) => `Error: No such image: ${m}`).join('\n'));
}

async function run(): Promise<void> {
  const args = parseDockerArgs(process.argv.slice(2));
  const [command, sub] = [args.command, args.subcommand];
  if (args.flags.has('version') && command === undefined) {
    process.stdout.write('Docker version 27.3.1, build ce12230\n');
    return;
  }
  switch (command) {
    case 'version':
      process.stdout.write('Client:\n Version:           27.3.1\n API version:       1.47\n OS/Arch:           linux/amd64\n');
      return;
    case 'login': return login(args);
    case 'build': return build(args);
    case 'tag': return tag(args);
    case 'push': return push(args);
    case 'inspect': return inspect(args);
    case 'image':
      if (sub === 'inspect') return inspect(args);
      if (sub === 'build') return build(args);
      if (sub === 'tag') return tag(args);
      if (sub === 'push') return push(args);
      throw new DockerExit(1, `docker: 'image ${sub ?? ''}' is not a docker command.\nSee 'docker --help'`);
    case 'buildx':
      if (sub === 'build') return build(args);
      throw new DockerExit(1, `docker: 'buildx ${sub ?? ''}' is not a docker command.\nSee 'docker --help'`);
    case undefined:
      throw new DockerExit(1, 'Usage:  docker [OPTIONS] COMMAND');
    default:
      throw new DockerExit(1, `docker: '${command}' is not a docker command.\nSee 'docker --help'`);
  }
}

run().catch((err: unknown) => {
  if (err instanceof DockerExit) {
    process.stderr.write(`${err.stderr}\n`);
    process.exit(err.code);
  }
  process.stderr.write(`docker (sim double): ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
