import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateApplicationCommand, CreateApplicationVersionCommand, CreateEnvironmentCommand, DescribeEventsCommand, ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { RunningSim } from '../../sim/index.js';
import { fetchPage } from '../../activities/website/fetch-page.js';
import { websiteHost } from '../../config/website-endpoint.js';
import { awsCli, mustRun, runTool, toolEnv } from '../helpers/python-tools.js';
import { sdkOptions, startFastSim } from './helpers.js';

// The AWS CLI (awscli from PyPI) runs the commands of the manual runbook and of its family
// against the sim: registry logins, Transfer's waiter, Beanstalk's restart and waiter, s3 sync.

void describe('the AWS CLI against the sim', () => {
  let sim: RunningSim;
  let dir: string;
  const aws = (region: string, ...args: string[]): Promise<string> => mustRun(awsCli(), [...args, '--region', region], { env: toolEnv(sim, region) });
  const dockerLogin = async (registry: string, password: string): Promise<number> =>
    (await fetch(`${sim.controlUrl}/docker/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ registry, username: 'AWS', password }) })).status;

  before(async () => {
    sim = await startFastSim();
    dir = await mkdtemp(path.join(tmpdir(), 'aws-cli-'));
  });

  after(async () => {
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  void it('aws ecr-public get-login-password gives a password docker can log in to public.ecr.aws with', async () => {
    const password = (await aws('us-east-1', 'ecr-public', 'get-login-password')).trim();
    assert.equal(await dockerLogin('public.ecr.aws', password), 200);
  });

  void it('aws ecr get-login-password logs in to that region\'s registry and no other', async () => {
    const password = (await aws('us-east-2', 'ecr', 'get-login-password')).trim();
    assert.equal(await dockerLogin('123456789012.dkr.ecr.us-east-2.amazonaws.com', password), 200);
    assert.equal(await dockerLogin('123456789012.dkr.ecr.us-east-1.amazonaws.com', password), 401);
    const token = JSON.parse(await aws('us-east-2', 'ecr', 'get-authorization-token')) as { authorizationData: { proxyEndpoint: string }[] };
    assert.equal(token.authorizationData[0]?.proxyEndpoint, 'https://123456789012.dkr.ecr.us-east-2.amazonaws.com');
  });

  void it('aws transfer create-server, wait server-online, delete-server; the server exists in its region only', async () => {
    const created = JSON.parse(await aws('us-east-2', 'transfer', 'create-server', '--domain', 'EFS', '--protocols', 'SFTP')) as { ServerId: string };
    await aws('us-east-2', 'transfer', 'wait', 'server-online', '--server-id', created.ServerId);
    const described = JSON.parse(await aws('us-east-2', 'transfer', 'describe-server', '--server-id', created.ServerId)) as { Server: { Arn: string; State: string } };
    assert.equal(described.Server.State, 'ONLINE');
    assert.equal(described.Server.Arn, `arn:aws:transfer:us-east-2:123456789012:server/${created.ServerId}`);
    const elsewhere = await runTool(awsCli(), ['transfer', 'describe-server', '--server-id', created.ServerId, '--region', 'us-east-1'], { env: toolEnv(sim, 'us-east-1') });
    assert.notEqual(elsewhere.code, 0);
    assert.match(elsewhere.stderr, /ResourceNotFoundException/);
    await aws('us-east-2', 'transfer', 'delete-server', '--server-id', created.ServerId);
  });

  void it('aws elasticbeanstalk restart-app-server, then wait environment-updated', async () => {
    const eb = new ElasticBeanstalkClient({ ...sdkOptions(sim), region: 'us-east-2' });
    await eb.send(new CreateApplicationCommand({ ApplicationName: 'trend' }));
    await eb.send(new CreateApplicationVersionCommand({ ApplicationName: 'trend', VersionLabel: 'v1' }));
    await eb.send(new CreateEnvironmentCommand({ ApplicationName: 'trend', EnvironmentName: 'trend-env', VersionLabel: 'v1', SolutionStackName: '64bit Amazon Linux 2023 v4.1.0 running Python 3.11' }));
    await aws('us-east-2', 'elasticbeanstalk', 'wait', 'environment-exists', '--environment-names', 'trend-env');
    await aws('us-east-2', 'elasticbeanstalk', 'restart-app-server', '--environment-name', 'trend-env');
    await aws('us-east-2', 'elasticbeanstalk', 'wait', 'environment-updated', '--environment-names', 'trend-env');
    const events = await eb.send(new DescribeEventsCommand({ EnvironmentName: 'trend-env' }));
    assert.ok(events.Events?.some((e) => e.Message === 'restartAppServer completed successfully.'));
  });

  void it('aws s3 mb and aws s3 sync (with --delete) mirror a data tree into a us-east-2 bucket', async () => {
    const data = path.join(dir, 'data');
    await mkdir(path.join(data, 'trends'), { recursive: true });
    await writeFile(path.join(data, 'index.json'), '{"weeks": 52}');
    await writeFile(path.join(data, 'trends', 'a.csv'), 'date,value\n2024-01-01,1\n');
    await writeFile(path.join(data, 'trends', 'old.csv'), 'stale\n');
    await aws('us-east-2', 's3', 'mb', 's3://trend-data');
    await aws('us-east-2', 's3', 'sync', data, 's3://trend-data/site/');
    await rm(path.join(data, 'trends', 'old.csv'));
    await writeFile(path.join(data, 'trends', 'b.csv'), 'date,value\n2024-01-08,2\n');
    await aws('us-east-2', 's3', 'sync', data, 's3://trend-data/site/', '--delete');
    const s3 = new S3Client({ ...sdkOptions(sim), region: 'us-east-2', forcePathStyle: true });
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'trend-data' }))).Contents ?? []).map((o) => o.Key).sort();
    assert.deepEqual(keys, ['site/index.json', 'site/trends/a.csv', 'site/trends/b.csv']);
    // A second mb outside us-east-1 is AWS's 409, not the legacy 200.
    const again = await runTool(awsCli(), ['s3api', 'create-bucket', '--bucket', 'trend-data', '--create-bucket-configuration', 'LocationConstraint=us-east-2', '--region', 'us-east-2'], { env: toolEnv(sim, 'us-east-2') });
    assert.match(again.stderr, /BucketAlreadyOwnedByYou/);
  });

  void it('aws s3 website, s3api put-public-access-block/put-bucket-policy and get-bucket-website set up a public static site the website endpoint serves', async () => {
    const site = path.join(dir, 'site');
    await mkdir(site, { recursive: true });
    await writeFile(path.join(site, 'index.html'), '<h1>HTAN</h1>');
    await aws('us-west-2', 's3', 'mb', 's3://htan-site');
    const none = await runTool(awsCli(), ['s3api', 'get-bucket-website', '--bucket', 'htan-site', '--region', 'us-west-2'], { env: toolEnv(sim, 'us-west-2') });
    assert.match(none.stderr, /NoSuchWebsiteConfiguration/);
    await aws('us-west-2', 's3', 'website', 's3://htan-site/', '--index-document', 'index.html', '--error-document', 'error.html');
    const website = JSON.parse(await aws('us-west-2', 's3api', 'get-bucket-website', '--bucket', 'htan-site')) as { IndexDocument: { Suffix: string }; ErrorDocument: { Key: string } };
    assert.deepEqual(website, { IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: 'error.html' } });
    await aws('us-west-2', 's3api', 'put-public-access-block', '--bucket', 'htan-site', '--public-access-block-configuration',
      'BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=false,RestrictPublicBuckets=false');
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::htan-site/*' }] });
    await aws('us-west-2', 's3api', 'put-bucket-policy', '--bucket', 'htan-site', '--policy', policy);
    assert.equal((JSON.parse(await aws('us-west-2', 's3api', 'get-bucket-policy', '--bucket', 'htan-site')) as { Policy: string }).Policy, policy);
    await aws('us-west-2', 's3', 'sync', site, 's3://htan-site/');
    const page = await fetchPage(`http://${websiteHost('htan-site', 'us-west-2')}/`, { connectTo: sim.websiteEndpoint, timeoutMs: 5000 });
    assert.equal(page.status, 200);
    assert.equal(page.body.toString(), '<h1>HTAN</h1>');
    assert.equal(page.contentType, 'text/html');
  });
});
