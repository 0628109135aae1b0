import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as eb from '@aws-sdk/client-elastic-beanstalk';
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { DescribeRepositoriesCommand as DescribePublicRepositories, ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { SimulatePrincipalPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateServerCommand, DescribeServerCommand, ListServersCommand, TransferClient } from '@aws-sdk/client-transfer';
import { simControl, type RunningSim } from '../../sim/index.js';
import { expectAwsError, sdkOptions, startFastSim } from './helpers.js';

// The smaller points where the sim follows AWS: signatures and permissions per protocol,
// regions, Beanstalk's stored option settings and request-scoped events, S3's echoes.

const REGION = 'us-east-2';

void describe('fidelity details', () => {
  let sim: RunningSim;
  const opts = () => ({ ...sdkOptions(sim), region: REGION });

  before(async () => {
    sim = await startFastSim();
  });
  after(async () => sim?.close());

  void it('refuses a wrong secret, an unknown key and a missing signature in each protocol\'s words', async () => {
    const wrong = { accessKeyId: 'AKIASIM', secretAccessKey: 'not-the-secret' };
    const unknown = { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' };
    await expectAwsError(new TransferClient({ ...opts(), credentials: wrong }).send(new ListServersCommand({})), 'InvalidSignatureException');
    await expectAwsError(new TransferClient({ ...opts(), credentials: unknown }).send(new ListServersCommand({})), 'UnrecognizedClientException');
    await expectAwsError(new STSClient({ ...opts(), credentials: wrong }).send(new GetCallerIdentityCommand({})), 'SignatureDoesNotMatch');
    await expectAwsError(new STSClient({ ...opts(), credentials: unknown }).send(new GetCallerIdentityCommand({})), 'InvalidClientTokenId');
    await expectAwsError(new S3Client({ ...opts(), forcePathStyle: true, credentials: wrong }).send(new ListObjectsV2Command({ Bucket: 'any' })), 'SignatureDoesNotMatch');
    await expectAwsError(new EFSClient({ ...opts(), credentials: wrong }).send(new DescribeFileSystemsCommand({})), 'InvalidSignatureException');
    const unsigned = await fetch(sim.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TransferService.ListServers' }, body: '{}' });
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  });

  void it('refuses what the caller\'s policy does not allow, as AccessDeniedException or AccessDenied, and simulates the same', async () => {
    const control = simControl(sim.controlUrl);
    const { arn } = await control.addPrincipal({
      accessKeyId: 'AKIAREADONLY', secretAccessKey: 'ro', userName: 'reader',
      policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['transfer:List*', 'elasticbeanstalk:Describe*', 's3:ListBucket', 'iam:SimulatePrincipalPolicy'], Resource: '*' }] },
    });
    const credentials = { accessKeyId: 'AKIAREADONLY', secretAccessKey: 'ro' };
    await new TransferClient({ ...opts(), credentials }).send(new ListServersCommand({}));
    const denied = await expectAwsError(new TransferClient({ ...opts(), credentials }).send(new CreateServerCommand({})), 'AccessDeniedException');
    assert.match(denied.message, /User: arn:aws:iam::123456789012:user\/reader is not authorized to perform: transfer:CreateServer/);
    await expectAwsError(new eb.ElasticBeanstalkClient({ ...opts(), credentials }).send(new eb.CreateApplicationCommand({ ApplicationName: 'x' })), 'AccessDenied');
    await expectAwsError(new S3Client({ ...opts(), forcePathStyle: true, credentials }).send(new CreateBucketCommand({ Bucket: 'nope-bucket', CreateBucketConfiguration: { LocationConstraint: REGION } })), 'AccessDenied');
    // EFS speaks rest-json: the SDK reads the code from x-amzn-errortype and the message from the body.
    const efsDenied = await expectAwsError(new EFSClient({ ...opts(), credentials }).send(new DescribeFileSystemsCommand({})), 'AccessDeniedException');
    assert.equal(efsDenied.$metadata?.httpStatusCode, 403);
    assert.match(efsDenied.message, /User: arn:aws:iam::123456789012:user\/reader is not authorized to perform: elasticfilesystem:DescribeFileSystems/);
    const sim2 = await new IAMClient({ ...opts(), credentials }).send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: arn, ActionNames: ['transfer:ListServers', 'transfer:DeleteServer'], ResourceArns: ['*'] }));
    assert.deepEqual(sim2.EvaluationResults?.map((r) => [r.EvalActionName, r.EvalDecision]), [['transfer:ListServers', 'allowed'], ['transfer:DeleteServer', 'implicitDeny']]);
  });

  void it('keeps resources in their region: ARNs, registries and lookups follow the signing region', async () => {
    const east2 = new TransferClient(opts());
    const east1 = new TransferClient({ ...opts(), region: 'us-east-1' });
    const { ServerId } = await east2.send(new CreateServerCommand({ Domain: 'EFS' }));
    const described = await east2.send(new DescribeServerCommand({ ServerId }));
    assert.match(described.Server?.Arn ?? '', /^arn:aws:transfer:us-east-2:/);
    assert.equal(described.Server?.IpAddressType, 'IPV4');
    assert.equal(described.Server?.ProtocolDetails?.PassiveIp, 'AUTO');
    await expectAwsError(east1.send(new DescribeServerCommand({ ServerId })), 'ResourceNotFoundException');
    const token = await new ECRClient(opts()).send(new GetAuthorizationTokenCommand({}));
    assert.equal(token.authorizationData?.[0]?.proxyEndpoint, 'https://123456789012.dkr.ecr.us-east-2.amazonaws.com');
    const repo = await new ECRClient(opts()).send(new CreateRepositoryCommand({ repositoryName: 'regional' }));
    assert.equal(repo.repository?.repositoryUri, '123456789012.dkr.ecr.us-east-2.amazonaws.com/regional');
    const s3 = new S3Client({ ...opts(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'regional-bucket', CreateBucketConfiguration: { LocationConstraint: REGION } }));
    await expectAwsError(s3.send(new CreateBucketCommand({ Bucket: 'regional-bucket', CreateBucketConfiguration: { LocationConstraint: REGION } })), 'BucketAlreadyOwnedByYou');
    const east1s3 = new S3Client({ ...opts(), region: 'us-east-1', forcePathStyle: true });
    await east1s3.send(new CreateBucketCommand({ Bucket: 'legacy-bucket' }));
    await east1s3.send(new CreateBucketCommand({ Bucket: 'legacy-bucket' }));
    await expectAwsError(east1s3.send(new ListObjectsV2Command({ Bucket: 'regional-bucket' })), 'AuthorizationHeaderMalformed');
    const beanstalk = new eb.ElasticBeanstalkClient(opts());
    await beanstalk.send(new eb.CreateApplicationCommand({ ApplicationName: 'regional-app' }));
    await beanstalk.send(new eb.CreateApplicationVersionCommand({ ApplicationName: 'regional-app', VersionLabel: 'v1' }));
    const env = await beanstalk.send(new eb.CreateEnvironmentCommand({
      ApplicationName: 'regional-app', EnvironmentName: 'regional-env', VersionLabel: 'v1', SolutionStackName: '64bit Amazon Linux 2023 v4.3.0 running Docker',
    }));
    assert.equal(env.CNAME, 'regional-env.us-east-2.elasticbeanstalk.com');
    assert.match(env.EndpointURL ?? '', /^127\.0\.0\.1:\d+$/);
  });

  void it('S3 echoes the checksum the SDK sent and honours EncodingType=url', async () => {
    const s3 = new S3Client({ ...opts(), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'echo-bucket', CreateBucketConfiguration: { LocationConstraint: REGION } }));
    const put = await s3.send(new PutObjectCommand({ Bucket: 'echo-bucket', Key: 'a b/c+d.txt', Body: 'hello', ChecksumAlgorithm: 'CRC32' }));
    assert.equal(put.ChecksumCRC32, 'NhCmhg==');
    const raw = await s3.send(new ListObjectsV2Command({ Bucket: 'echo-bucket', EncodingType: 'url' }));
    assert.equal(raw.EncodingType, 'url');
    // The SDK decodes url-encoded keys back; the wire form is checked by the conformance walk.
    assert.ok(['a b/c+d.txt', 'a+b/c%2Bd.txt'].includes(raw.Contents?.[0]?.Key ?? ''), raw.Contents?.[0]?.Key);
  });

  void it('Beanstalk stores option settings, tags events with their request id, and deletes versions AWS\'s way', async () => {
    const client = new eb.ElasticBeanstalkClient(opts());
    const s3 = new S3Client({ ...opts(), forcePathStyle: true });
    await client.send(new eb.CreateApplicationCommand({ ApplicationName: 'opts' }));
    await client.send(new eb.CreateApplicationVersionCommand({ ApplicationName: 'opts', VersionLabel: 'v1' }));
    await client.send(new eb.CreateApplicationVersionCommand({ ApplicationName: 'opts', VersionLabel: 'v2' }));
    await expectAwsError(client.send(new eb.CreateEnvironmentCommand({
      ApplicationName: 'opts', EnvironmentName: 'opts-env', VersionLabel: 'v1', SolutionStackName: '64bit Amazon Linux 2023 v4.3.0 running Docker',
      OptionSettings: [{ Namespace: 'aws:elasticbeanstalk:application:environmentsecrets', OptionName: 'SECRET', Value: 'plain-text' }],
    })), 'InvalidParameterValue');
    await client.send(new eb.CreateEnvironmentCommand({
      ApplicationName: 'opts', EnvironmentName: 'opts-env', VersionLabel: 'v1', SolutionStackName: '64bit Amazon Linux 2023 v4.3.0 running Docker',
      OptionSettings: [
        { Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'DATA_ROOT', Value: '/data' },
        { Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'OLD', Value: '1' },
        { Namespace: 'aws:elasticbeanstalk:application:environmentsecrets', OptionName: 'FLASK_SECRET', Value: 'arn:aws:secretsmanager:us-east-2:123456789012:secret:flask' },
        { Namespace: 'aws:autoscaling:launchconfiguration', OptionName: 'InstanceType', Value: 'r5.large' },
      ],
    }));
    const settings = async () => (await client.send(new eb.DescribeConfigurationSettingsCommand({ ApplicationName: 'opts', EnvironmentName: 'opts-env' })))
      .ConfigurationSettings?.[0]?.OptionSettings ?? [];
    const value = (list: eb.ConfigurationOptionSetting[], ns: string, name: string) => list.find((o) => o.Namespace === ns && o.OptionName === name)?.Value;
    let now = await settings();
    assert.equal(value(now, 'aws:autoscaling:launchconfiguration', 'InstanceType'), 'r5.large');
    assert.equal(value(now, 'aws:elasticbeanstalk:application:environmentsecrets', 'FLASK_SECRET'), 'arn:aws:secretsmanager:us-east-2:123456789012:secret:flask');
    assert.equal(value(now, 'aws:elasticbeanstalk:healthreporting:system', 'SystemType'), 'enhanced');
    await new Promise((r) => setTimeout(r, 500));
    const update = await client.send(new eb.UpdateEnvironmentCommand({
      EnvironmentName: 'opts-env', VersionLabel: 'v2',
      OptionSettings: [{ Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'DATA_ROOT', Value: '/data2' }],
      OptionsToRemove: [{ Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'OLD' }],
    }));
    now = await settings();
    assert.equal(value(now, 'aws:elasticbeanstalk:application:environment', 'DATA_ROOT'), '/data2');
    assert.equal(value(now, 'aws:elasticbeanstalk:application:environment', 'OLD'), undefined);
    await new Promise((r) => setTimeout(r, 500));
    const requestId = update.$metadata.requestId as string;
    const mine = await client.send(new eb.DescribeEventsCommand({ RequestId: requestId }));
    assert.ok((mine.Events ?? []).length >= 3);
    assert.ok(mine.Events?.every((e) => e.RequestId === requestId && e.EnvironmentName === 'opts-env' && e.VersionLabel === 'v2'));
    assert.ok(mine.Events?.some((e) => e.Message === 'Environment update completed successfully.'));
    const health = await client.send(new eb.DescribeEnvironmentHealthCommand({ EnvironmentName: 'opts-env', AttributeNames: ['All'] }));
    assert.equal(health.ApplicationMetrics?.StatusCodes?.Status5xx, 0);
    // A version in use cannot go; a version whose bundle cannot be deleted is deleted anyway.
    await expectAwsError(client.send(new eb.DeleteApplicationVersionCommand({ ApplicationName: 'opts', VersionLabel: 'v2' })), 'InvalidParameterValue');
    const { S3Bucket } = await client.send(new eb.CreateStorageLocationCommand({}));
    await s3.send(new PutObjectCommand({ Bucket: S3Bucket, Key: 'v3.zip', Body: 'x' }));
    await client.send(new eb.CreateApplicationVersionCommand({ ApplicationName: 'opts', VersionLabel: 'v3', SourceBundle: { S3Bucket, S3Key: 'v3.zip' } }));
    await client.send(new eb.DeleteApplicationVersionCommand({ ApplicationName: 'opts', VersionLabel: 'v3', DeleteSourceBundle: true }));
    const left = await client.send(new eb.DescribeApplicationVersionsCommand({ ApplicationName: 'opts' }));
    assert.deepEqual(left.ApplicationVersions?.map((v) => v.VersionLabel).sort(), ['v1', 'v2']);
  });

  void it('answers ECR Public only in the regions AWS serves it from (us-east-1, us-west-2)', async () => {
    const denied = await expectAwsError(new ECRPUBLICClient(opts()).send(new DescribePublicRepositories({})), 'InvalidSignatureException');
    assert.match(denied.message, /valid region, not 'us-east-2'/);
    for (const region of ['us-east-1', 'us-west-2']) await new ECRPUBLICClient({ ...opts(), region }).send(new DescribePublicRepositories({}));
  });
});
