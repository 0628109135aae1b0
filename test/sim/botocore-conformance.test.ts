import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as eb from '@aws-sdk/client-elastic-beanstalk';
import * as ecr from '@aws-sdk/client-ecr';
import * as ecrPublic from '@aws-sdk/client-ecr-public';
import * as efs from '@aws-sdk/client-efs';
import * as iam from '@aws-sdk/client-iam';
import * as s3 from '@aws-sdk/client-s3';
import * as sm from '@aws-sdk/client-secrets-manager';
import * as sns from '@aws-sdk/client-sns';
import * as ssm from '@aws-sdk/client-ssm';
import * as sts from '@aws-sdk/client-sts';
import * as transfer from '@aws-sdk/client-transfer';
import type { ResponseRecord, RunningSim } from '../../sim/index.js';
import { services } from '../../sim/services/index.js';
import { botocoreDataDir } from '../helpers/python-tools.js';
import { checkResponse, errorCode, loadModel, type ServiceModel } from '../helpers/botocore-model.js';
import { repoRoot } from '../helpers/sample-site.js';
import { makeKeyPair, sdkOptions, startFastSim } from './helpers.js';

// Every operation the sim implements is called (successes and refusals), and every reply is
// walked against botocore's model of that operation: members, types, enum values, errors.

const MODEL_DIR: Record<string, string> = {
  transfer: 'transfer', ecr: 'ecr', 'ecr-public': 'ecr-public', sts: 'sts', iam: 'iam', elasticbeanstalk: 'elasticbeanstalk', efs: 'efs', s3: 's3', sns: 'sns', secretsmanager: 'secretsmanager', ssm: 'ssm',
};

// Where AWS itself departs from botocore's public model: Tier is sent (and read by `eb health`,
// from the eb CLI's own model); DescribeEnvironmentHealth's Status is modelled with the health
// colours but documented, and answered, as Ready/Launching/Updating/...
const ALLOWED_EXTRA = new Set(['ConfigurationSettingsDescription.Tier', 'elasticbeanstalk DescribeEnvironmentHealth.Status']);

const implemented = (): Map<string, string[]> => new Map<string, string[]>([
  ...services.json.map((s) => [s.name, Object.keys(s.handlers)] as [string, string[]]),
  ...services.query.map((s) => [s.name, Object.keys(s.handlers)] as [string, string[]]),
  ...services.rest.map((s) => [s.name, s.operations] as [string, string[]]),
]);

void describe('conformance to botocore\'s service models', () => {
  let sim: RunningSim;
  const records: ResponseRecord[] = [];
  const models = new Map<string, ServiceModel>();

  before(async () => {
    const dataDir = botocoreDataDir();
    for (const [service, dir] of Object.entries(MODEL_DIR)) models.set(service, loadModel(dataDir, dir));
    // A quota of 2 application versions lets the walk meet TooManyApplicationVersionsException.
    sim = await startFastSim({ observer: (r) => records.push(r), applicationVersionQuota: 2 });
  });
  after(async () => sim?.close());

  // Refusals are part of the walk; only the reply matters here.
  const attempt = async (call: Promise<unknown>): Promise<void> => {
    await call.catch(() => undefined);
  };

  void it('answers every implemented operation in the shape botocore\'s model gives it', async () => {
    const region = 'us-east-2';
    const opts = { ...sdkOptions(sim), region };
    const tr = new transfer.TransferClient(opts);
    const pr = new ecr.ECRClient(opts);
    const pub = new ecrPublic.ECRPUBLICClient({ ...opts, region: 'us-east-1' });
    const st = new sts.STSClient(opts);
    const im = new iam.IAMClient(opts);
    const bs = new eb.ElasticBeanstalkClient(opts);
    const fs = new efs.EFSClient(opts);
    const ob = new s3.S3Client({ ...opts, forcePathStyle: true });
    const nt = new sns.SNSClient(opts);
    const sec = new sm.SecretsManagerClient(opts);
    const par = new ssm.SSMClient(opts);
    const key = makeKeyPair();
    try {
      // Transfer
      const { ServerId } = await tr.send(new transfer.CreateServerCommand({ Domain: 'EFS', Protocols: ['SFTP'], Tags: [{ Key: 'k', Value: 'v' }] }));
      const serverId = ServerId as string;
      await tr.send(new transfer.DescribeServerCommand({ ServerId: serverId }));
      await tr.send(new transfer.ListServersCommand({}));
      await tr.send(new transfer.CreateUserCommand({ ServerId: serverId, UserName: 'uploader', Role: 'arn:aws:iam::123456789012:role/aws-elasticbeanstalk-ec2-role', HomeDirectory: '/fs-1/data', PosixProfile: { Uid: 0, Gid: 0 } }));
      const { SshPublicKeyId } = await tr.send(new transfer.ImportSshPublicKeyCommand({ ServerId: serverId, UserName: 'uploader', SshPublicKeyBody: key.publicKey }));
      await tr.send(new transfer.DescribeUserCommand({ ServerId: serverId, UserName: 'uploader' }));
      await tr.send(new transfer.ListUsersCommand({ ServerId: serverId }));
      await tr.send(new transfer.DeleteSshPublicKeyCommand({ ServerId: serverId, UserName: 'uploader', SshPublicKeyId: SshPublicKeyId as string }));
      const arn = `arn:aws:transfer:${region}:123456789012:server/${serverId}`;
      await tr.send(new transfer.TagResourceCommand({ Arn: arn, Tags: [{ Key: 'a', Value: 'b' }] }));
      await tr.send(new transfer.ListTagsForResourceCommand({ Arn: arn }));
      await tr.send(new transfer.UntagResourceCommand({ Arn: arn, TagKeys: ['a'] }));
      await new Promise((r) => setTimeout(r, 400));
      await attempt(tr.send(new transfer.StopServerCommand({ ServerId: serverId })));
      await new Promise((r) => setTimeout(r, 400));
      await attempt(tr.send(new transfer.StartServerCommand({ ServerId: serverId })));
      await tr.send(new transfer.DeleteUserCommand({ ServerId: serverId, UserName: 'uploader' }));
      await tr.send(new transfer.DeleteServerCommand({ ServerId: serverId }));
      await attempt(tr.send(new transfer.DescribeServerCommand({ ServerId: serverId })));

      // ECR and ECR Public
      for (const [client, mod] of [[pr, ecr], [pub, ecrPublic]] as const) {
        const c = client as ecr.ECRClient;
        const m = mod as typeof ecr;
        await c.send(new m.CreateRepositoryCommand({ repositoryName: 'site' }));
        await attempt(c.send(new m.CreateRepositoryCommand({ repositoryName: 'site' })));
        await c.send(new m.DescribeRepositoriesCommand({}));
        await c.send(new m.DescribeImagesCommand({ repositoryName: 'site' }));
        await c.send(new m.BatchDeleteImageCommand({ repositoryName: 'site', imageIds: [{ imageTag: 'gone' }, { imageDigest: `sha256:${'0'.repeat(64)}` }] }));
        await attempt(c.send(new m.BatchDeleteImageCommand({ repositoryName: 'nothing-here', imageIds: [{ imageTag: 'x' }] })));
        await c.send(new m.GetAuthorizationTokenCommand({}));
        await c.send(new m.DeleteRepositoryCommand({ repositoryName: 'site' }));
        await attempt(c.send(new m.DescribeImagesCommand({ repositoryName: 'site' })));
      }

      // Private ECR's lifecycle policies
      await pr.send(new ecr.CreateRepositoryCommand({ repositoryName: 'aged' }));
      await attempt(pr.send(new ecr.GetLifecyclePolicyCommand({ repositoryName: 'aged' })));
      await attempt(pr.send(new ecr.PutLifecyclePolicyCommand({ repositoryName: 'aged', lifecyclePolicyText: '{"rules":[]}' })));
      const policyText = JSON.stringify({ rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 }, action: { type: 'expire' } }] });
      await pr.send(new ecr.PutLifecyclePolicyCommand({ repositoryName: 'aged', lifecyclePolicyText: policyText }));
      await pr.send(new ecr.GetLifecyclePolicyCommand({ repositoryName: 'aged' }));

      // STS, IAM
      const me = await st.send(new sts.GetCallerIdentityCommand({}));
      await im.send(new iam.ListRolesCommand({}));
      await im.send(new iam.GetRoleCommand({ RoleName: 'aws-elasticbeanstalk-ec2-role' }));
      await attempt(im.send(new iam.GetRoleCommand({ RoleName: 'nobody' })));
      await attempt(im.send(new iam.CreateRoleCommand({ RoleName: 'aws-elasticbeanstalk-ec2-role', AssumeRolePolicyDocument: '{}' })));
      await im.send(new iam.CreateRoleCommand({ RoleName: 'extra-role', AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Principal: { Service: 'ec2.amazonaws.com' } }] }) }));
      await im.send(new iam.AttachRolePolicyCommand({ RoleName: 'extra-role', PolicyArn: 'arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier' }));
      await im.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: 'extra-role' }));
      await im.send(new iam.CreateInstanceProfileCommand({ InstanceProfileName: 'extra-profile' }));
      await im.send(new iam.AddRoleToInstanceProfileCommand({ InstanceProfileName: 'extra-profile', RoleName: 'extra-role' }));
      await attempt(im.send(new iam.AddRoleToInstanceProfileCommand({ InstanceProfileName: 'extra-profile', RoleName: 'extra-role' })));
      await im.send(new iam.ListInstanceProfilesCommand({}));
      await im.send(new iam.GetInstanceProfileCommand({ InstanceProfileName: 'extra-profile' }));
      await im.send(new iam.SimulatePrincipalPolicyCommand({ PolicySourceArn: me.Arn, ActionNames: ['transfer:DeleteServer'], ResourceArns: ['*'] }));
      await im.send(new iam.PutRolePolicyCommand({ RoleName: 'extra-role', PolicyName: 'efs', PolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'elasticfilesystem:ClientMount', Resource: '*' }] }) }));
      await attempt(im.send(new iam.PutRolePolicyCommand({ RoleName: 'extra-role', PolicyName: 'bad', PolicyDocument: 'not json' })));
      await im.send(new iam.GetRolePolicyCommand({ RoleName: 'extra-role', PolicyName: 'efs' }));
      await attempt(im.send(new iam.GetRolePolicyCommand({ RoleName: 'extra-role', PolicyName: 'none' })));
      await im.send(new iam.ListRolePoliciesCommand({ RoleName: 'extra-role' }));
      await im.send(new iam.UpdateAssumeRolePolicyCommand({ RoleName: 'extra-role', PolicyDocument: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'transfer.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
      await im.send(new iam.SimulatePrincipalPolicyCommand({ PolicySourceArn: 'arn:aws:iam::123456789012:role/extra-role', ActionNames: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'], ResourceArns: ['*'] }));


      // Secrets Manager, SSM Parameter Store
      const secret = await sec.send(new sm.CreateSecretCommand({ Name: 'site/flask', SecretString: '{"key":"v1"}' }));
      await attempt(sec.send(new sm.CreateSecretCommand({ Name: 'site/flask', SecretString: 'again' })));
      await sec.send(new sm.GetSecretValueCommand({ SecretId: secret.ARN }));
      await sec.send(new sm.DescribeSecretCommand({ SecretId: 'site/flask' }));
      await sec.send(new sm.PutSecretValueCommand({ SecretId: 'site/flask', SecretString: '{"key":"v2"}' }));
      await attempt(sec.send(new sm.GetSecretValueCommand({ SecretId: 'missing' })));
      await par.send(new ssm.PutParameterCommand({ Name: '/site/db-password', Value: 'v1', Type: 'SecureString' }));
      await attempt(par.send(new ssm.PutParameterCommand({ Name: '/site/db-password', Value: 'v2', Type: 'SecureString' })));
      await par.send(new ssm.GetParameterCommand({ Name: '/site/db-password', WithDecryption: true }));
      await attempt(par.send(new ssm.GetParameterCommand({ Name: '/site/missing' })));

      // SNS
      const { TopicArn } = await nt.send(new sns.CreateTopicCommand({ Name: 'releases' }));
      await nt.send(new sns.CreateTopicCommand({ Name: 'releases' }));
      await attempt(nt.send(new sns.CreateTopicCommand({ Name: 'bad name!' })));
      const { TopicArn: fifoArn } = await nt.send(new sns.CreateTopicCommand({ Name: 'releases.fifo', Attributes: { FifoTopic: 'true' } }));
      await nt.send(new sns.SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.org' }));
      await nt.send(new sns.SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: `arn:aws:sqs:${region}:123456789012:q` }));
      await attempt(nt.send(new sns.SubscribeCommand({ TopicArn, Protocol: 'pigeon', Endpoint: 'x' })));
      await nt.send(new sns.ListSubscriptionsByTopicCommand({ TopicArn }));
      await nt.send(new sns.PublishCommand({ TopicArn, Subject: 'release finished', Message: 'body' }));
      await nt.send(new sns.PublishCommand({ TopicArn: fifoArn, Message: 'body', MessageGroupId: 'site', MessageDeduplicationId: 'event-1' }));
      await attempt(nt.send(new sns.PublishCommand({ TopicArn, Subject: 'two\nlines', Message: 'body' })));
      await attempt(nt.send(new sns.PublishCommand({ TopicArn: `arn:aws:sns:${region}:123456789012:missing`, Message: 'body' })));
      await attempt(nt.send(new sns.ListSubscriptionsByTopicCommand({ TopicArn: 'not-an-arn' })));

      // EFS
      const fsys = await fs.send(new efs.CreateFileSystemCommand({ CreationToken: 'conformance', Tags: [{ Key: 'Name', Value: 'data' }] }));
      await attempt(fs.send(new efs.CreateFileSystemCommand({ CreationToken: 'conformance' })));
      await fs.send(new efs.DescribeFileSystemsCommand({}));
      await fs.send(new efs.DescribeMountTargetsCommand({ FileSystemId: fsys.FileSystemId }));
      await attempt(fs.send(new efs.DescribeFileSystemPolicyCommand({ FileSystemId: fsys.FileSystemId })));
      await attempt(fs.send(new efs.PutFileSystemPolicyCommand({ FileSystemId: fsys.FileSystemId, Policy: 'not json' })));
      await fs.send(new efs.PutFileSystemPolicyCommand({ FileSystemId: fsys.FileSystemId, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'elasticfilesystem:ClientMount', Resource: '*' }] }) }));
      await fs.send(new efs.DescribeFileSystemPolicyCommand({ FileSystemId: fsys.FileSystemId }));
      await fs.send(new efs.DeleteFileSystemCommand({ FileSystemId: fsys.FileSystemId }));
      await attempt(fs.send(new efs.DescribeFileSystemsCommand({ FileSystemId: fsys.FileSystemId })));

      // S3
      const Bucket = 'conformance-bucket';
      await ob.send(new s3.CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: region } }));
      await attempt(ob.send(new s3.CreateBucketCommand({ Bucket, CreateBucketConfiguration: { LocationConstraint: region } })));
      await ob.send(new s3.HeadBucketCommand({ Bucket }));
      await ob.send(new s3.ListBucketsCommand({}));
      await ob.send(new s3.PutObjectCommand({ Bucket, Key: 'dir/a b.txt', Body: 'hello' }));
      await ob.send(new s3.HeadObjectCommand({ Bucket, Key: 'dir/a b.txt' }));
      await (await ob.send(new s3.GetObjectCommand({ Bucket, Key: 'dir/a b.txt' }))).Body?.transformToString();
      await attempt(ob.send(new s3.GetObjectCommand({ Bucket, Key: 'missing' })));
      await ob.send(new s3.ListObjectsV2Command({ Bucket, Prefix: 'dir/', EncodingType: 'url' }));
      await ob.send(new s3.ListObjectsCommand({ Bucket }));
      const { UploadId } = await ob.send(new s3.CreateMultipartUploadCommand({ Bucket, Key: 'big' }));
      const part = await ob.send(new s3.UploadPartCommand({ Bucket, Key: 'big', UploadId, PartNumber: 1, Body: 'x' }));
      await ob.send(new s3.CompleteMultipartUploadCommand({ Bucket, Key: 'big', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
      const { UploadId: abort } = await ob.send(new s3.CreateMultipartUploadCommand({ Bucket, Key: 'gone', ChecksumAlgorithm: 'SHA256' }));
      await ob.send(new s3.UploadPartCommand({ Bucket, Key: 'gone', UploadId: abort, PartNumber: 1, Body: 'part one', ChecksumAlgorithm: 'SHA256' }));
      await ob.send(new s3.ListPartsCommand({ Bucket, Key: 'gone', UploadId: abort }));
      await attempt(ob.send(new s3.ListPartsCommand({ Bucket, Key: 'gone', UploadId: 'no-such-upload' })));
      await ob.send(new s3.ListMultipartUploadsCommand({ Bucket, Prefix: 'go' }));
      await ob.send(new s3.AbortMultipartUploadCommand({ Bucket, Key: 'gone', UploadId: abort }));
      await ob.send(new s3.PutObjectCommand({ Bucket, Key: 'sum.txt', Body: 'checked', ChecksumAlgorithm: 'SHA256' }));
      await attempt(ob.send(new s3.PutObjectCommand({ Bucket, Key: 'sum.txt', Body: 'checked', ChecksumSHA256: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' })));
      await ob.send(new s3.HeadObjectCommand({ Bucket, Key: 'sum.txt', ChecksumMode: 'ENABLED' }));
      await ob.send(new s3.DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'sum.txt' }, { Key: 'never-was' }] } }));
      await ob.send(new s3.DeleteObjectCommand({ Bucket, Key: 'big' }));
      await ob.send(new s3.DeleteObjectCommand({ Bucket, Key: 'dir/a b.txt' }));
      await attempt(ob.send(new s3.GetBucketWebsiteCommand({ Bucket })));
      await ob.send(new s3.PutBucketWebsiteCommand({ Bucket, WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: 'error.html' } } }));
      await ob.send(new s3.GetBucketWebsiteCommand({ Bucket }));
      await ob.send(new s3.DeleteBucketWebsiteCommand({ Bucket }));
      await ob.send(new s3.GetPublicAccessBlockCommand({ Bucket }));
      await ob.send(new s3.PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: { BlockPublicPolicy: false } }));
      await ob.send(new s3.DeletePublicAccessBlockCommand({ Bucket }));
      await attempt(ob.send(new s3.GetBucketPolicyCommand({ Bucket })));
      await ob.send(new s3.PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${Bucket}/*` }] }) }));
      await ob.send(new s3.GetBucketPolicyCommand({ Bucket }));
      await ob.send(new s3.DeleteBucketPolicyCommand({ Bucket }));
      await ob.send(new s3.DeleteBucketCommand({ Bucket }));

      // Elastic Beanstalk
      await bs.send(new eb.ListAvailableSolutionStacksCommand({}));
      const platforms = await bs.send(new eb.ListPlatformVersionsCommand({ Filters: [{ Type: 'PlatformName', Operator: 'contains', Values: ['Docker'] }] }));
      await bs.send(new eb.ListPlatformBranchesCommand({}));
      const platformArn = platforms.PlatformSummaryList?.[0]?.PlatformArn as string;
      await bs.send(new eb.DescribePlatformVersionCommand({ PlatformArn: platformArn }));
      await bs.send(new eb.CheckDNSAvailabilityCommand({ CNAMEPrefix: 'site-prod' }));
      const { S3Bucket } = await bs.send(new eb.CreateStorageLocationCommand({}));
      await ob.send(new s3.PutObjectCommand({ Bucket: S3Bucket, Key: 'v1.zip', Body: 'not a zip' }));
      await bs.send(new eb.CreateApplicationCommand({ ApplicationName: 'site' }));
      await attempt(bs.send(new eb.CreateApplicationCommand({ ApplicationName: 'site' })));
      await bs.send(new eb.DescribeApplicationsCommand({}));
      await bs.send(new eb.UpdateApplicationResourceLifecycleCommand({ ApplicationName: 'site', ResourceLifecycleConfig: { VersionLifecycleConfig: { MaxCountRule: { Enabled: true, MaxCount: 10 } } } }));
      await bs.send(new eb.CreateApplicationVersionCommand({ ApplicationName: 'site', VersionLabel: 'v1', SourceBundle: { S3Bucket, S3Key: 'v1.zip' } }));
      await bs.send(new eb.CreateApplicationVersionCommand({ ApplicationName: 'site', VersionLabel: 'v2' }));
      await attempt(bs.send(new eb.CreateApplicationVersionCommand({ ApplicationName: 'site', VersionLabel: 'v3' })));
      await bs.send(new eb.DescribeApplicationVersionsCommand({ ApplicationName: 'site' }));
      await bs.send(new eb.CreateEnvironmentCommand({
        ApplicationName: 'site', EnvironmentName: 'site-prod', VersionLabel: 'v1', PlatformArn: platformArn, CNAMEPrefix: 'site-prod',
        OptionSettings: [
          { Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'DATA_ROOT', Value: '/data' },
          { Namespace: 'aws:elasticbeanstalk:application:environmentsecrets', OptionName: 'FLASK_SECRET', Value: 'arn:aws:secretsmanager:us-east-2:123456789012:secret:flask' },
        ],
      }));
      await bs.send(new eb.DescribeEnvironmentsCommand({ ApplicationName: 'site' }));
      await bs.send(new eb.DescribeEnvironmentHealthCommand({ EnvironmentName: 'site-prod', AttributeNames: ['All'] }));
      await bs.send(new eb.DescribeInstancesHealthCommand({ EnvironmentName: 'site-prod', AttributeNames: ['All'] }));
      await bs.send(new eb.DescribeEnvironmentResourcesCommand({ EnvironmentName: 'site-prod' }));
      await bs.send(new eb.DescribeConfigurationSettingsCommand({ ApplicationName: 'site', EnvironmentName: 'site-prod' }));
      await bs.send(new eb.DescribeConfigurationOptionsCommand({ ApplicationName: 'site', EnvironmentName: 'site-prod' }));
      await new Promise((r) => setTimeout(r, 500));
      await bs.send(new eb.UpdateEnvironmentCommand({ EnvironmentName: 'site-prod', VersionLabel: 'v2' }));
      await bs.send(new eb.AbortEnvironmentUpdateCommand({ EnvironmentName: 'site-prod' }));
      await new Promise((r) => setTimeout(r, 500));
      await bs.send(new eb.RestartAppServerCommand({ EnvironmentName: 'site-prod' }));
      await new Promise((r) => setTimeout(r, 500));
      await bs.send(new eb.DescribeEventsCommand({ EnvironmentName: 'site-prod' }));
      await attempt(bs.send(new eb.DeleteApplicationVersionCommand({ ApplicationName: 'site', VersionLabel: 'v1' })));
      await bs.send(new eb.DeleteApplicationVersionCommand({ ApplicationName: 'site', VersionLabel: 'v2' }));
      await bs.send(new eb.TerminateEnvironmentCommand({ EnvironmentName: 'site-prod' }));
      await attempt(bs.send(new eb.UpdateEnvironmentCommand({ EnvironmentName: 'site-prod' })));
      await new Promise((r) => setTimeout(r, 500));
      await bs.send(new eb.DeleteApplicationCommand({ ApplicationName: 'site' }));
    } finally {
      key.cleanup();
    }

    const problems = records.flatMap((r) => checkResponse(models.get(r.service) as ServiceModel, r, ALLOWED_EXTRA));
    assert.deepEqual(problems, [], `replies that depart from botocore's models:\n${problems.join('\n')}`);
    const seen = new Set(records.map((r) => `${r.service}:${r.operation}`));
    const unexercised = [...implemented()].flatMap(([service, ops]) => ops.filter((op) => !seen.has(`${service}:${op}`)).map((op) => `${service}:${op}`));
    assert.deepEqual(unexercised, [], 'implemented operations this walk did not call');
    assert.ok(records.some((r) => errorCode(r) !== undefined), 'the walk included refusals');
  });

  void it('flags header-bound members that break the model, and S3\'s error codes from other services', () => {
    const s3Model = models.get('s3') as ServiceModel;
    const head: ResponseRecord = {
      protocol: 'rest-xml', service: 's3', operation: 'HeadObject', status: 200, body: '',
      headers: { 'content-length': 'five', 'last-modified': '2026-11-30T03:00:00Z', 'x-amz-server-side-encryption': 'ROT13', 'x-amz-delete-marker': 'yes', etag: '"x"' },
    };
    const found = checkResponse(s3Model, head);
    assert.deepEqual(found.slice(0, 3), [
      's3 HeadObject header x-amz-delete-marker (DeleteMarker): expected true or false, got "yes"',
      's3 HeadObject header last-modified (LastModified): expected a rfc822 timestamp, got "2026-11-30T03:00:00Z"',
      's3 HeadObject header content-length (ContentLength): expected an integer, got "five"',
    ]);
    // The enum grows with botocore's releases; only its first value is certain.
    assert.match(found[3] ?? '', /^s3 HeadObject header x-amz-server-side-encryption \(ServerSideEncryption\): "ROT13" is not one of AES256\|/);
    assert.equal(found.length, 4);
    const good = { ...head, headers: { 'content-length': '5', 'last-modified': 'Mon, 30 Nov 2026 03:00:00 GMT', 'x-amz-server-side-encryption': 'AES256' } };
    assert.deepEqual(checkResponse(s3Model, good), []);
    const refusal = (service: string, code: string): ResponseRecord => ({
      protocol: 'json', service, operation: 'DescribeServer', status: 400, body: '{}', headers: { 'x-amzn-errortype': code },
    });
    assert.equal(checkResponse(models.get('transfer') as ServiceModel, refusal('transfer', 'NoSuchBucket')).length, 1);
    assert.deepEqual(checkResponse(models.get('transfer') as ServiceModel, refusal('transfer', 'AccessDeniedException')), []);
  });

  void it('docs/SIM.md lists, per service, the operations of botocore\'s model the sim does not implement', async () => {
    const doc = await readFile(path.join(repoRoot, 'docs', 'SIM.md'), 'utf8');
    const missing: string[] = [];
    for (const [service, ops] of implemented()) {
      const model = models.get(service) as ServiceModel;
      const absent = Object.keys(model.operations).filter((op) => !ops.includes(op)).sort();
      const line = doc.split('\n').find((l) => l.startsWith(`- **${service}**`));
      if (!line) {
        missing.push(`no line for ${service}`);
        continue;
      }
      const listed = new Set(line.split(':').slice(1).join(':').split(',').map((s) => s.trim().replace(/\.$/, '')));
      const unlisted = absent.filter((op) => !listed.has(op));
      if (unlisted.length > 0) missing.push(`${service}: ${unlisted.join(', ')}`);
    }
    assert.deepEqual(missing, [], 'run: node --import tsx test/sim/list-unimplemented.ts to regenerate the list');
  });
});
