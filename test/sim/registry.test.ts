import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ECRClient, CreateRepositoryCommand, DescribeRepositoriesCommand, DescribeImagesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  ECRPUBLICClient, CreateRepositoryCommand as CreatePublicRepositoryCommand, DescribeRepositoriesCommand as DescribePublicRepositoriesCommand,
  DescribeImagesCommand as DescribePublicImagesCommand, GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand,
  paginateDescribeRepositories,
} from '@aws-sdk/client-ecr-public';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import type { RunningSim } from '../../sim/index.js';
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
});
