import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { GetAuthorizationTokenCommand as GetPrivateTokenCommand } from '@aws-sdk/client-ecr';
import { GetAuthorizationTokenCommand as GetPublicTokenCommand } from '@aws-sdk/client-ecr-public';
import type { AwsClients } from '../aws/clients.js';
import { nonRetryable, retryable } from '../failures.js';

/** Where an image repository lives, read from its URI. */
export interface RegistryRef {
  kind: 'ecr-public' | 'ecr';
  /** Registry host as docker names it: `public.ecr.aws` or `<account>.dkr.ecr.<region>.amazonaws.com`. */
  host: string;
  /** Repository name as the ECR APIs know it (without the public alias). */
  repositoryName: string;
  /** The URI without a tag, as pushed: `public.ecr.aws/<alias>/<name>`. */
  uri: string;
  /** Private ECR's own region, which may differ from the Beanstalk region. */
  region?: string;
}

const PRIVATE_HOST = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** ECR Public (the reference site) or a private ECR repository, chosen from the repository URI. */
export function parseRepository(repository: string): RegistryRef {
  const uri = repository.replace(/:[A-Za-z0-9_][A-Za-z0-9_.-]*$/, '').replace(/\/+$/, '');
  const [host = '', ...rest] = uri.split('/');
  if (host === 'public.ecr.aws') {
    const [alias, ...name] = rest;
    if (!alias || name.length === 0) {
      throw nonRetryable('InvalidConfig', `image.repository "${repository}" must be "public.ecr.aws/<alias>/<name>" (fix the ECR Public repository URI).`, { field: 'image.repository' });
    }
    return { kind: 'ecr-public', host, repositoryName: name.join('/'), uri };
  }
  const privateMatch = PRIVATE_HOST.exec(host);
  if (privateMatch && rest.length > 0) {
    return { kind: 'ecr', host, repositoryName: rest.join('/'), uri, region: privateMatch[2] };
  }
  throw nonRetryable(
    'InvalidConfig',
    `image.repository "${repository}" must be an ECR Public URI ("public.ecr.aws/<alias>/<name>") or a private ECR URI ("<account>.dkr.ecr.<region>.amazonaws.com/<name>").`,
    { field: 'image.repository' },
  );
}

/** Registry credentials; they live in this process only and are never returned from an activity. */
interface RegistryCredentials {
  username: string;
  password: string;
}

/** ECR Public tokens come from us-east-1 whatever region the site runs in (an AWS rule). */
async function registryCredentials(clients: { ecr: AwsClients['ecr']; ecrPublic: AwsClients['ecrPublic'] }, ref: RegistryRef): Promise<RegistryCredentials> {
  const encoded =
    ref.kind === 'ecr-public'
      ? (await clients.ecrPublic.send(new GetPublicTokenCommand({}))).authorizationData?.authorizationToken
      : (await clients.ecr.send(new GetPrivateTokenCommand({}))).authorizationData?.[0]?.authorizationToken;
  if (!encoded) throw retryable('RegistryLoginFailed', `${ref.kind === 'ecr' ? 'ECR' : 'ECR Public'} returned no authorization token; retrying.`);
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Logs docker in to the registry with a fresh token fed through stdin: never on a command line
 * (visible in `ps`), never in a log, never returned (so never in workflow history). The docker
 * config dir is the run's own, so the credential never lands in the user's ~/.docker.
 */
export async function loginToRegistry(opts: {
  clients: { ecr: AwsClients['ecr']; ecrPublic: AwsClients['ecrPublic'] };
  ref: RegistryRef;
  dockerPath: string;
  dockerConfigDir: string;
  env: Record<string, string>;
}): Promise<void> {
  const credentials = await registryCredentials(opts.clients, opts.ref);
  await mkdir(opts.dockerConfigDir, { recursive: true, mode: 0o700 });
  const child = spawn(opts.dockerPath, ['login', '--username', credentials.username, '--password-stdin', opts.ref.host], {
    env: { ...(process.env as Record<string, string>), ...opts.env, DOCKER_CONFIG: opts.dockerConfigDir },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  child.stdin.end(`${credentials.password}\n`);
  let code: number | null;
  try {
    code = await exited;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw nonRetryable(
      'InvalidConfig',
      missing
        ? `image.dockerPath "${opts.dockerPath}" was not found: install docker or set image.dockerPath to the docker CLI.`
        : `docker login could not start (${(err as Error).message}).`,
      { field: 'image.dockerPath' },
    );
  }
  if (code !== 0) {
    // The password is scrubbed in case a CLI ever echoes it back.
    const said = output.split(credentials.password).join('***').trim().split('\n').slice(-3).join(' ');
    throw retryable('RegistryLoginFailed', `docker login to ${opts.ref.host} failed (exit ${code}): ${said}`);
  }
}
