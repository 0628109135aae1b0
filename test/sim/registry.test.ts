import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ECRClient, CreateRepositoryCommand, DescribeRepositoriesCommand, DescribeImagesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  ECRPUBLICClient, CreateRepositoryCommand as CreatePublicRepositoryCommand, DescribeRepositoriesCommand as DescribePublicRepositoriesCommand,
  DescribeImagesCommand as DescribePublicImagesCommand, GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand,
  paginateDescribeRepositories,
} from '@aws-sdk/client-ecr-public';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { simControl, type RunningSim } from '../../sim/index.js';
import { expectAwsError, sdkOptions, useFastSim } from './helpers.js';

void describe('ECR, ECR Public and STS', () => {
  let sim: RunningSim;
  let ecr: ECRClient;
  let ecrPublic: ECRPUBLICClient;
  let sts: STSClient;

  useFastSim((started) => {
    sim = started;
    [ecr, ecrPublic, sts] = [new ECRClient(sdkOptions(sim)), new ECRPUBLICClient(sdkOptions(sim)), new STSClient(sdkOptions(sim))];
    return [ecr, ecrPublic, sts];
  });

  void it('answers GetCallerIdentity with the account and the identity that signed', async () => {
    const id = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(id.Account, '123456789012');
    assert.equal(id.Arn, 'arn:aws:iam::123456789012:user/sim-simulator');
  });

  void it('issues ECR tokens and describes repositories and images', async () => {
    const token = await ecr.send(new GetAuthorizationTokenCommand({}));
    const data = token.authorizationData?.[0];
    assert.match(Buffer.from(data?.authorizationToken ?? '', 'base64').toString(), /^AWS:.+/);
    assert.equal(data?.proxyEndpoint, 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com');
    assert.ok(data?.expiresAt instanceof Date);
    const created = await ecr.send(new CreateRepositoryCommand({ repositoryName: 'web/app' }));
    assert.equal(created.repository?.repositoryUri, '123456789012.dkr.ecr.us-east-1.amazonaws.com/web/app');
    await expectAwsError(ecr.send(new CreateRepositoryCommand({ repositoryName: 'web/app' })), 'RepositoryAlreadyExistsException');
    await expectAwsError(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] })), 'RepositoryNotFoundException');
    assert.deepEqual((await ecr.send(new DescribeImagesCommand({ repositoryName: 'web/app' }))).imageDetails, []);
    await expectAwsError(ecr.send(new DescribeImagesCommand({ repositoryName: 'web/app', imageIds: [{ imageTag: 'v1' }] })), 'ImageNotFoundException');
    await expectAwsError(ecr.send(new DescribeImagesCommand({} as never)), 'InvalidParameterException');
  });

  void it('issues ECR Public tokens and paginates repositories', async () => {
    const token = await ecrPublic.send(new GetPublicAuthorizationTokenCommand({}));
    assert.match(Buffer.from(token.authorizationData?.authorizationToken ?? '', 'base64').toString(), /^AWS:.+/);
    for (const name of ['site', 'worker', 'tools']) await ecrPublic.send(new CreatePublicRepositoryCommand({ repositoryName: name }));
    const names: string[] = [];
    for await (const page of paginateDescribeRepositories({ client: ecrPublic, pageSize: 2 }, {})) {
      names.push(...(page.repositories ?? []).map((r) => r.repositoryName as string));
    }
    assert.deepEqual(names, ['site', 'tools', 'worker']);
    const site = await ecrPublic.send(new DescribePublicRepositoriesCommand({ repositoryNames: ['site'] }));
    assert.equal(site.repositories?.[0]?.repositoryUri, 'public.ecr.aws/sim/site');
    await expectAwsError(ecrPublic.send(new DescribePublicImagesCommand({ repositoryName: 'missing' })), 'RepositoryNotFoundException');
  });

  void it('authorizes a docker push as the identity its token was issued to, step by step', async () => {
    const control = simControl(sim.controlUrl);
    const grants = ['ecr:GetAuthorizationToken', 'ecr-public:GetAuthorizationToken', 'ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload'];
    const { arn } = await control.addPrincipal({
      accessKeyId: 'AKIANOPUTIMAGE', secretAccessKey: 'np', userName: 'no-put-image',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: grants, Resource: '*' }] },
    });
    const credentials = { accessKeyId: 'AKIANOPUTIMAGE', secretAccessKey: 'np' };
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'web/push' }));
    const token = await new ECRClient({ ...sdkOptions(sim), credentials }).send(new GetAuthorizationTokenCommand({}));
    const password = Buffer.from(token.authorizationData?.[0]?.authorizationToken ?? '', 'base64').toString().slice('AWS:'.length);
    const registry = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
    const docker = (route: string, body: unknown) => fetch(`${sim.controlUrl}/docker/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await docker('login', { registry, username: 'AWS', password })).status, 200);
    const push = await docker('push', { registry, repository: 'web/push', tag: 'v1', imageId: 'sha256:abc', size: 10 });
    assert.equal(push.status, 403);
    const repoArn = 'arn:aws:ecr:us-east-1:123456789012:repository/web/push';
    assert.equal(((await push.json()) as { error: string }).error,
      `denied: User: ${arn} is not authorized to perform: ecr:PutImage on resource: ${repoArn} because no identity-based policy allows the ecr:PutImage action`);
    assert.deepEqual((await ecr.send(new DescribeImagesCommand({ repositoryName: 'web/push' }))).imageDetails, [], 'nothing landed');
    // ECR Public's token is an STS bearer token: without sts:GetServiceBearerToken there is none.
    const denied = await expectAwsError(new ECRPUBLICClient({ ...sdkOptions(sim), credentials }).send(new GetPublicAuthorizationTokenCommand({})), 'AccessDeniedException');
    assert.match(denied.message, /not authorized to perform: sts:GetServiceBearerToken on resource: \*/);
  });
});
