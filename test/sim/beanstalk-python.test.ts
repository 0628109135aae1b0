import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ElasticBeanstalkClient, CreateApplicationCommand, CreateApplicationVersionCommand, CreateEnvironmentCommand, DescribeEnvironmentsCommand,
  UpdateEnvironmentCommand, DescribeEventsCommand, waitUntilEnvironmentUpdated, type EnvironmentDescription,
} from '@aws-sdk/client-elastic-beanstalk';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { RunningSim } from '../../sim/index.js';
import { sdkOptions, useFastSim, zip } from './helpers.js';

// A Python-platform environment treats a bundle the way the platform's engine does: gunicorn on
// application:application unless a Procfile says otherwise; a requirements.txt pip refuses fails
// the deployment (the environment keeps its old version); no application.py and no Procfile
// deploys, then answers 502. A Docker environment fails a bundle with neither Dockerrun nor Dockerfile.

const PYTHON = '64bit Amazon Linux 2023 v4.1.0 running Python 3.11';
const DOCKER = '64bit Amazon Linux 2023 v4.3.0 running Docker';
const APP = 'from flask import Flask\napplication = Flask(__name__)\n';
const waiter = { maxWaitTime: 10, minDelay: 0.1, maxDelay: 0.2 };

void describe('Elastic Beanstalk, Python platform', () => {
  let sim: RunningSim;
  let eb: ElasticBeanstalkClient;

  useFastSim(async (started) => {
    sim = started;
    eb = new ElasticBeanstalkClient(sdkOptions(sim));
    const s3 = new S3Client({ ...sdkOptions(sim), forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'py-bundles' }));
    const bundles: Record<string, Record<string, string>> = {
      good: { 'application.py': APP, 'requirements.txt': '# the app\nflask==3.0.3\ngunicorn>=21.2, <23 ; python_version >= "3.8"\nboto3[crt]~=1.34\n-r extra.txt\n' },
      procfile: { 'app/main.py': APP, Procfile: 'web: gunicorn --bind :8000 app.main:application\n' },
      badreqs: { 'application.py': APP, 'requirements.txt': 'flask===\n' },
      noapp: { 'app.py': APP, 'requirements.txt': 'flask\n' },
      dockerrun: { 'Dockerrun.aws.json': '{"AWSEBDockerrunVersion": "1", "Image": {"Name": "public.ecr.aws/sim/site:1"}}' },
    };
    for (const [key, files] of Object.entries(bundles)) await s3.send(new PutObjectCommand({ Bucket: 'py-bundles', Key: `${key}.zip`, Body: await zip(files) }));
    await eb.send(new CreateApplicationCommand({ ApplicationName: 'py' }));
    for (const key of Object.keys(bundles)) {
      await eb.send(new CreateApplicationVersionCommand({ ApplicationName: 'py', VersionLabel: key, SourceBundle: { S3Bucket: 'py-bundles', S3Key: `${key}.zip` }, Process: true }));
    }
    await new Promise((r) => setTimeout(r, 300));
    return [eb, s3];
  }, { versionProcessSeconds: 0.05 });

  const settle = async (name: string): Promise<EnvironmentDescription> => {
    await waitUntilEnvironmentUpdated({ client: eb, ...waiter }, { EnvironmentNames: [name] });
    const [env] = (await eb.send(new DescribeEnvironmentsCommand({ EnvironmentNames: [name] }))).Environments ?? [];
    assert.ok(env);
    return env;
  };
  const page = async (env: EnvironmentDescription): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await fetch(`http://${env.EndpointURL ?? ''}/`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const messages = async (name: string): Promise<string[]> =>
    ((await eb.send(new DescribeEventsCommand({ EnvironmentName: name, MaxRecords: 50 }))).Events ?? []).map((e) => `${e.Severity ?? ''} ${e.Message ?? ''}`);

  void it('runs application:application, keeps the old version when pip refuses requirements.txt, answers 502 without an app entry', async () => {
    await eb.send(new CreateEnvironmentCommand({ ApplicationName: 'py', EnvironmentName: 'py-prod', VersionLabel: 'good', SolutionStackName: PYTHON }));
    let env = await settle('py-prod');
    assert.equal(env.Health, 'Green');
    assert.deepEqual(await page(env), { status: 200, body: { environmentName: 'py-prod', versionLabel: 'good', health: 'Green', path: '/', platform: PYTHON, app: 'gunicorn application:application' } });

    await eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'py-prod', VersionLabel: 'badreqs' }));
    env = await settle('py-prod');
    assert.equal(env.VersionLabel, 'good', 'a failed deployment leaves the last successful version');
    assert.equal(env.Health, 'Red');
    const failed = await messages('py-prod');
    assert.ok(failed.some((m) => /^ERROR Instance deployment failed to install application dependencies \(pip refused "flask===" in requirements.txt\)/.test(m)), failed.join('\n'));
    assert.ok(failed.includes('ERROR Failed to deploy application.'));

    await eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'py-prod', VersionLabel: 'procfile' }));
    env = await settle('py-prod');
    assert.equal(env.Health, 'Green');
    assert.equal((await page(env)).body.app, 'gunicorn --bind :8000 app.main:application', 'a Procfile overrides the default WSGI path');

    for (const label of ['noapp', 'dockerrun']) {
      await eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'py-prod', VersionLabel: label }));
      env = await settle('py-prod');
      assert.equal(env.VersionLabel, label, 'the deployment itself succeeds');
      assert.equal(env.Health, 'Red');
      assert.equal((await page(env)).status, 502, `${label}: nginx finds no app behind it`);
    }
    await eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'py-prod', VersionLabel: 'good' }));
    env = await settle('py-prod');
    assert.equal(env.Health, 'Green');
    assert.equal((await page(env)).status, 200);
  });

  void it('a Docker environment fails a bundle with neither Dockerrun.aws.json nor a Dockerfile', async () => {
    await eb.send(new CreateEnvironmentCommand({ ApplicationName: 'py', EnvironmentName: 'docker-prod', VersionLabel: 'dockerrun', SolutionStackName: DOCKER }));
    assert.equal((await settle('docker-prod')).Health, 'Green');
    await eb.send(new UpdateEnvironmentCommand({ EnvironmentName: 'docker-prod', VersionLabel: 'good' }));
    const env = await settle('docker-prod');
    assert.equal(env.VersionLabel, 'dockerrun');
    assert.ok((await messages('docker-prod')).some((m) => m.includes("Both 'Dockerfile' and 'Dockerrun.aws.json' are missing in your source bundle")));
  });
});
