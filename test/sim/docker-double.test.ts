import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ECRClient, CreateRepositoryCommand, DescribeImagesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  ECRPUBLICClient, CreateRepositoryCommand as CreatePublicRepositoryCommand, GetAuthorizationTokenCommand as GetPublicTokenCommand,
  DescribeImagesCommand as DescribePublicImagesCommand,
} from '@aws-sdk/client-ecr-public';
import { simControl } from '../../sim/control-client.js';
import type { RunningSim } from '../../sim/index.js';
import { sdkOptions, startFastSim } from './helpers.js';

const DOCKER = join(dirname(fileURLToPath(import.meta.url)), '../../sim/docker-double/docker');
const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

interface Result { code: number; stdout: string; stderr: string }

void describe('docker CLI double', () => {
  let sim: RunningSim;
  let ecr: ECRClient;
  let ecrPublic: ECRPUBLICClient;
  const context = mkdtempSync(join(tmpdir(), 'sim-docker-ctx-'));

  const docker = (args: string[], stdin?: string): Promise<Result> => new Promise((resolve) => {
    const child = execFile(DOCKER, args, { env: { ...process.env, SIM_CONTROL_URL: sim.controlUrl }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
  const password = (token: string | undefined): string => Buffer.from(token ?? '', 'base64').toString().slice('AWS:'.length);

  before(async () => {
    sim = await startFastSim();
    ecr = new ECRClient(sdkOptions(sim));
    ecrPublic = new ECRPUBLICClient(sdkOptions(sim));
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'web' }));
    await ecrPublic.send(new CreatePublicRepositoryCommand({ repositoryName: 'site' }));
    writeFileSync(join(context, 'Dockerfile'), 'FROM node:20-slim\nARG RELEASE\nCOPY . /app\nRUN npm ci\nCMD ["node", "server.js"]\n');
    writeFileSync(join(context, 'server.js'), 'console.log("hi")\n');
  });
  after(async () => {
    ecr.destroy();
    ecrPublic.destroy();
    await sim.close();
    rmSync(context, { recursive: true, force: true });
  });

  void it('logs in with ECR tokens only, builds, tags, pushes and records the digest in ECR', async () => {
    const wrong = await docker(['login', '--username', 'AWS', '--password-stdin', REGISTRY], 'not-a-token\n');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`login attempt to https://${REGISTRY.replace(/\./g, '\\.')}/v2/ failed with status: 400 Bad Request`));

    const built = await docker(['build', '-t', 'web:1', '--build-arg', 'RELEASE=r42', '--compress', '--rm', context]);
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stderr, /#\d+ naming to docker\.io\/library\/web:1 done/);
    assert.equal((await docker(['build', '-t', 'x:1', join(context, 'missing')])).code, 1);
    assert.equal((await docker(['tag', 'web:1', `${REGISTRY}/web:1`])).code, 0);

    const notLoggedIn = await docker(['push', `${REGISTRY}/web:1`]);
    assert.equal(notLoggedIn.code, 1);
    assert.match(notLoggedIn.stderr, /no basic auth credentials/);

    const token = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData?.[0]?.authorizationToken;
    const ok = await docker(['login', '--username', 'AWS', '--password-stdin', REGISTRY], `${password(token)}\n`);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Login Succeeded/);

    const pushed = await docker(['push', `${REGISTRY}/web:1`]);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, new RegExp(`^The push refers to repository \\[${REGISTRY.replace(/\./g, '\\.')}/web\\]`));
    const digest = /^1: digest: (sha256:[0-9a-f]{64}) size: 1234$/m.exec(pushed.stdout)?.[1];
    assert.ok(digest, pushed.stdout);
    const described = await ecr.send(new DescribeImagesCommand({ repositoryName: 'web', imageIds: [{ imageTag: '1' }] }));
    assert.equal(described.imageDetails?.[0]?.imageDigest, digest);

    const inspected = await docker(['image', 'inspect', `${REGISTRY}/web:1`]);
    const [json] = JSON.parse(inspected.stdout) as { Id: string; RepoDigests: string[]; RepoTags: string[] }[];
    assert.deepEqual(json?.RepoDigests, [`${REGISTRY}/web@${digest}`]);
    assert.ok(json?.RepoTags.includes('web:1'));
    const formatted = await docker(['image', 'inspect', '--format', '{{index .RepoDigests 0}}', 'web:1']);
    assert.equal(formatted.stdout.trim(), `${REGISTRY}/web@${digest}`);
    const missing = await docker(['image', 'inspect', 'nothing:here']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /No such image: nothing:here/);
  });

  void it('pushes to ECR Public after login and fails or hangs when told', async () => {
    const token = (await ecrPublic.send(new GetPublicTokenCommand({}))).authorizationData?.authorizationToken;
    assert.equal((await docker(['login', '-u', 'AWS', '--password-stdin', 'public.ecr.aws'], password(token))).code, 0);
    await docker(['tag', 'web:1', 'public.ecr.aws/sim/site:1']);
    const control = simControl(sim.controlUrl);
    await control.addFault({ service: 'docker', operation: 'push', exitCode: 1, count: 1 });
    const failed = await docker(['push', 'public.ecr.aws/sim/site:1']);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /received unexpected HTTP status: 500 Internal Server Error/);
    const pushed = await docker(['push', 'public.ecr.aws/sim/site:1']);
    assert.equal(pushed.code, 0, pushed.stderr);
    const images = await ecrPublic.send(new DescribePublicImagesCommand({ repositoryName: 'site' }));
    assert.deepEqual(images.imageDetails?.[0]?.imageTags, ['1']);

    await control.addFault({ service: 'docker', operation: 'push', hang: true, count: 1 });
    const child = spawn(DOCKER, ['push', 'public.ecr.aws/sim/site:1'], { env: { ...process.env, SIM_CONTROL_URL: sim.controlUrl }, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const early = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 2500))]);
    assert.equal(early, 'running');
    child.kill('SIGTERM');
    await exited;
  });
});
