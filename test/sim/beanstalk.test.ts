import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ElasticBeanstalkClient, CreateApplicationCommand, DescribeApplicationsCommand, CreateApplicationVersionCommand,
  DescribeApplicationVersionsCommand, DeleteApplicationVersionCommand, CreateEnvironmentCommand, DescribeEnvironmentsCommand,
  UpdateEnvironmentCommand, DescribeEnvironmentHealthCommand, DescribeEventsCommand, RestartAppServerCommand,
  AbortEnvironmentUpdateCommand, TerminateEnvironmentCommand, paginateDescribeEvents, waitUntilEnvironmentUpdated,
} from '@aws-sdk/client-elastic-beanstalk';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { simControl } from '../../sim/control-client.js';
import type { RunningSim } from '../../sim/index.js';
import { expectAwsError, sdkOptions, signedPost, useFastSim, zip } from './helpers.js';

const waiter = { maxWaitTime: 10, minDelay: 0.1, maxDelay: 0.2 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

void describe('Elastic Beanstalk', () => {
  let sim: RunningSim;
  let eb: ElasticBeanstalkClient;
  let s3: S3Client;

  useFastSim(async (started) => {
    sim = started;
    eb = new ElasticBeanstalkClient(sdkOptions(sim));
    s3 = new S3Client({ ...sdkOptions(sim), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'eb-bundles' }));
    const dockerrun = JSON.stringify({ AWSEBDockerrunVersion: '1', Image: { Name: 'public.ecr.aws/sim/site:1' }, Ports: [{ ContainerPort: 80 }] });
    await s3.send(new PutObjectCommand({ Bucket: 'eb-bundles', Key: 'good.zip', Body: await zip({ 'Dockerrun.aws.json': dockerrun }) }));
    await s3.send(new PutObjectCommand({ Bucket: 'eb-bundles', Key: 'nodockerrun.zip', Body: await zip({ 'README.md': 'hi' }) }));
    await s3.send(new PutObjectCommand({ Bucket: 'eb-bundles', Key: 'notzip.zip', Body: 'plain text' }));
    await s3.send(new PutObjectCommand({ Bucket: 'eb-bundles', Key: 'badjson.zip', Body: await zip({ 'Dockerrun.aws.json': '{"AWSEBDockerrunVersion": ' }) }));
    await eb.send(new CreateApplicationCommand({ ApplicationName: 'site' }));
    return [eb, s3];
  });

  const version = async (label: string, key = 'good.zip'): Promise<string | undefined> => {
    const { ApplicationVersion } = await eb.send(new CreateApplicationVersionCommand({
      ApplicationName: 'site', VersionLabel: label, SourceBundle: { S3Bucket: 'eb-bundles', S3Key: key }, Process: true,
    }));
    assert.equal(ApplicationVersion?.Status, 'Processing');
    for (let i = 0; i < 50; i++) {
      const { ApplicationVersions } = await eb.send(new DescribeApplicationVersionsCommand({ ApplicationName: 'site', VersionLabels: [label] }));
      const status = ApplicationVersions?.[0]?.Status;
      if (status !== 'Processing') return status;
      await sleep(50);
    }
    return 'Processing';
  };

  const smoke = async (endpointUrl: string): Promise<number> => (await fetch(`http://${endpointUrl}/healthz`)).status;

  void it('processes versions from S3 bundles: Processed, or Failed when not a zip or with a Dockerrun.aws.json that does not parse', async () => {
    assert.equal(await version('v1'), 'Processed');
    // Processing knows no platform: a bundle without Dockerrun.aws.json fails when a Docker environment deploys it.
    assert.equal(await version('bad-nodockerrun', 'nodockerrun.zip'), 'Processed');
    assert.equal(await version('bad-json', 'badjson.zip'), 'Failed');
    assert.equal(await version('bad-notzip', 'notzip.zip'), 'Failed');
    await expectAwsError(eb.send(new CreateApplicationVersionCommand({
      ApplicationName: 'site', VersionLabel: 'ghost', SourceBundle: { S3Bucket: 'eb-bundles', S3Key: 'missing.zip' },
    })), 'InvalidParameterCombination');
    await expectAwsError(eb.send(new CreateApplicationVersionCommand({ ApplicationName: 'site', VersionLabel: 'v1' })), 'InvalidParameterValue');
    await eb.send(new DeleteApplicationVersionCommand({ ApplicationName: 'site', VersionLabel: 'bad-notzip' }));
    const apps = await eb.send(new DescribeApplicationsCommand({ ApplicationNames: ['site'] }));
    assert.deepEqual(apps.Applications?.[0]?.Versions, ['bad-json', 'bad-nodockerrun', 'v1']);
  });

  void it('launches, deploys (waiter), refuses overlapping updates, goes Red when told, rolls back, restarts, aborts', async () => {
    const created = await eb.send(new CreateEnvironmentCommand({
      ApplicationName: 'site', EnvironmentName: 'site-prod', VersionLabel: 'v1',
      SolutionStackName: '64bit Amazon Linux 2023 v4.3.0 running Docker',
    }));
    assert.equal(created.Status, 'Launching');
    assert.equal(created.Health, 'Grey');
    assert.match(created.EnvironmentId ?? '', /^e-[a-z0-9]{10}$/);
    // AWS's regional name for the environment; the sim serves it on EndpointURL (a loopback port).
    assert.equal(created.CNAME, 'site-prod.us-east-1.elasticbeanstalk.com');
    const endpoint = created.EndpointURL as string;
    assert.match(endpoint, /^127\.0\.0\.1:\d+$/);
    assert.equal(await smoke(endpoint), 503);
    await waitUntilEnvironmentUpdated({ client: eb, ...waiter }, { EnvironmentNames: ['site-prod'] });
    assert.equal(await smoke(endpoint), 200);

    assert.equal(await version('v2'), 'Processed');
    const updating = await eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'site-prod', VersionLabel: 'v2' }));
    assert.equal(updating.Status, 'Updating');
    assert.equal(updating.AbortableOperationInProgress, true);
    const busy = await expectAwsError(eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'site-prod', VersionLabel: 'v1' })), 'InvalidParameterValue');
    assert.equal(busy.message, 'Environment named site-prod is in an invalid state for this operation. Must be Ready.');
    await waitUntilEnvironmentUpdated({ client: eb, ...waiter }, { EnvironmentNames: ['site-prod'] });
    const [ready] = (await eb.send(new DescribeEnvironmentsCommand({ EnvironmentNames: ['site-prod'] }))).Environments ?? [];
    assert.equal(ready?.Status, 'Ready');
    assert.equal(ready?.Health, 'Green');
    assert.equal(ready?.VersionLabel, 'v2');

    const events = await eb.send(new DescribeEventsCommand({ EnvironmentName: 'site-prod', MaxRecords: 6 }));
    const messages = (events.Events ?? []).map((e) => e.Message);
    assert.deepEqual(messages.slice(1, 5), [
      'Environment update completed successfully.',
      'New application version was deployed to running EC2 instances.',
      'Deploying new version to instance(s).',
      'Environment update is starting.',
    ]);
    assert.match(messages[0] ?? '', /^Environment health has transitioned from Info to Ok\./);
    const dates = (events.Events ?? []).map((e) => e.EventDate?.getTime() ?? 0);
    assert.deepEqual(dates, [...dates].sort((a, b) => b - a));

    await expectAwsError(eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'site-prod', VersionLabel: 'bad-json' })), 'InvalidParameterValue');

    await simControl(sim.controlUrl).addFault({ service: 'elasticbeanstalk', nextDeployRed: { environmentName: 'site-prod' }, count: 1 });
    assert.equal(await version('v3'), 'Processed');
    await eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'site-prod', VersionLabel: 'v3' }));
    await waitUntilEnvironmentUpdated({ client: eb, ...waiter }, { EnvironmentNames: ['site-prod'] });
    const health = await eb.send(new DescribeEnvironmentHealthCommand({ EnvironmentName: 'site-prod', AttributeNames: ['All'] }));
    assert.equal(health.Color, 'Red');
    assert.equal(health.HealthStatus, 'Severe');
    assert.ok((health.Causes ?? []).length > 0);
    assert.equal(await smoke(endpoint), 503);
    const warn = await eb.send(new DescribeEventsCommand({ EnvironmentName: 'site-prod', Severity: 'WARN', MaxRecords: 1 }));
    assert.match(warn.Events?.[0]?.Message ?? '', /^Environment health has transitioned from Info to Severe\./);

    await eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'site-prod', VersionLabel: 'v2' }));
    await waitUntilEnvironmentUpdated({ client: eb, ...waiter }, { EnvironmentNames: ['site-prod'] });
    assert.equal((await eb.send(new DescribeEnvironmentHealthCommand({ EnvironmentName: 'site-prod' }))).Color, 'Green');
    assert.equal(await smoke(endpoint), 200);

    await eb.send(new RestartAppServerCommand({ EnvironmentName: 'site-prod' }));
    assert.equal((await eb.send(new DescribeEnvironmentsCommand({ EnvironmentNames: ['site-prod'] }))).Environments?.[0]?.Status, 'Updating');
    await waitUntilEnvironmentUpdated({ client: eb, ...waiter }, { EnvironmentNames: ['site-prod'] });

    await expectAwsError(eb.send(new AbortEnvironmentUpdateCommand({ EnvironmentName: 'site-prod' })), 'InvalidParameterValue');
    await eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'site-prod', VersionLabel: 'v1' }));
    await eb.send(new AbortEnvironmentUpdateCommand({ EnvironmentName: 'site-prod' }));
    await waitUntilEnvironmentUpdated({ client: eb, ...waiter }, { EnvironmentNames: ['site-prod'] });
    assert.equal((await eb.send(new DescribeEnvironmentsCommand({ EnvironmentNames: ['site-prod'] }))).Environments?.[0]?.VersionLabel, 'v2');

    const all: string[] = [];
    for await (const page of paginateDescribeEvents({ client: eb, pageSize: 4 }, { EnvironmentName: 'site-prod' })) {
      assert.ok((page.Events ?? []).length <= 4);
      all.push(...(page.Events ?? []).map((e) => e.Message as string));
    }
    assert.equal(all[all.length - 1], 'createEnvironment is starting.');
    assert.ok(all.includes('restartAppServer completed successfully.'));

    await eb.send(new TerminateEnvironmentCommand({ EnvironmentName: 'site-prod' }));
    await sleep(400);
    const gone = await eb.send(new DescribeEnvironmentsCommand({ EnvironmentNames: ['site-prod'] }));
    assert.equal(gone.Environments?.[0]?.Status, 'Terminated');
    assert.deepEqual((await eb.send(new DescribeEnvironmentsCommand({ EnvironmentNames: ['site-prod'], IncludeDeleted: false }))).Environments, []);
  });

  void it('keeps at most MaxCount versions when told', async () => {
    await eb.send(new CreateApplicationCommand({
      ApplicationName: 'capped',
      ResourceLifecycleConfig: { VersionLifecycleConfig: { MaxCountRule: { Enabled: true, MaxCount: 3, DeleteSourceFromS3: false } } },
    }));
    for (let i = 1; i <= 5; i++) {
      await eb.send(new CreateApplicationVersionCommand({ ApplicationName: 'capped', VersionLabel: `c${i}`, SourceBundle: { S3Bucket: 'eb-bundles', S3Key: 'good.zip' } }));
    }
    const { ApplicationVersions } = await eb.send(new DescribeApplicationVersionsCommand({ ApplicationName: 'capped' }));
    assert.deepEqual(ApplicationVersions?.map((v) => v.VersionLabel), ['c5', 'c4', 'c3']);
  });

  void it('answers bad requests with query-protocol errors', async () => {
    await expectAwsError(eb.send(new CreateApplicationCommand({} as never)), 'MissingParameter');
    await expectAwsError(eb.send(new CreateApplicationCommand({ ApplicationName: 'site' })), 'InvalidParameterValue');
    await expectAwsError(eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'nope-env', VersionLabel: 'v1' })), 'InvalidParameterValue');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const res = await signedPost(sim, 'elasticbeanstalk', form, 'Action=LaunchRocket&Version=2010-12-01');
    assert.equal(res.status, 400);
    assert.match(await res.text(), /<Code>InvalidAction<\/Code>/);
    const wrongType = await signedPost(sim, 'elasticbeanstalk', form, 'Action=DescribeEvents&Version=2010-12-01&MaxRecords=lots');
    assert.equal(wrongType.status, 400);
    assert.match(await wrongType.text(), /<Code>InvalidParameterValue<\/Code>/);
  });
});

void describe('Elastic Beanstalk application version quota', () => {
  let eb: ElasticBeanstalkClient;
  // AWS allows 1000 per region; three makes the limit reachable in a test.
  useFastSim((sim) => [(eb = new ElasticBeanstalkClient(sdkOptions(sim)))], { applicationVersionQuota: 3 });

  void it('refuses the version past the quota, counting every application in the region, until one is deleted', async () => {
    const create = (app: string, label: string) => eb.send(new CreateApplicationVersionCommand({ ApplicationName: app, VersionLabel: label, AutoCreateApplication: true }));
    await create('one', 'v1');
    await create('one', 'v2');
    await create('two', 'v1');
    const refused = await expectAwsError(create('one', 'v3'), 'TooManyApplicationVersionsException');
    assert.equal(refused.$metadata?.httpStatusCode, 400);
    assert.match(refused.message, /more than 3 Application Versions/);
    await expectAwsError(create('three', 'v1'), 'TooManyApplicationVersionsException');
    const { ApplicationVersions } = await eb.send(new DescribeApplicationVersionsCommand({}));
    assert.equal(ApplicationVersions?.length, 3, 'the refused versions were not kept');

    await eb.send(new DeleteApplicationVersionCommand({ ApplicationName: 'one', VersionLabel: 'v1' }));
    await create('one', 'v3');
  });
});
