import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DescribeApplicationsCommand, DescribeEnvironmentsCommand, ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import type { RunningSim } from '../../sim/index.js';
import { ebCli, mustRun, toolEnv } from '../helpers/python-tools.js';
import { sdkOptions, startFastSim } from './helpers.js';

// The Elastic Beanstalk CLI (awsebcli from PyPI) drives the sim end to end, in us-east-2 as the
// ContactTracing site does: what a person types in the manual runbook must work here too.

const REGION = 'us-east-2';

void describe('the eb CLI against the sim', () => {
  let sim: RunningSim;
  let dir: string;
  let eb: (...args: string[]) => Promise<string>;
  let sdk: (region: string) => ElasticBeanstalkClient;

  before(async () => {
    sim = await startFastSim({ beanstalkUpdateSeconds: 1 });
    dir = await mkdtemp(path.join(tmpdir(), 'eb-cli-'));
    await writeFile(path.join(dir, 'Dockerrun.aws.json'), JSON.stringify({
      AWSEBDockerrunVersion: '1', Image: { Name: 'public.ecr.aws/sim/site:latest' }, Ports: [{ ContainerPort: 80 }],
    }));
    const env = toolEnv(sim, REGION);
    const bin = ebCli();
    eb = (...args) => mustRun(bin, args, { env, cwd: dir });
    sdk = (region) => new ElasticBeanstalkClient({ ...sdkOptions(sim), region });
  });

  after(async () => {
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  void it('eb init -p docker makes the application in the region asked for, and only there', async () => {
    const out = await eb('init', '-p', 'docker', '--region', REGION, 'site');
    assert.match(out, /Application site has been created/);
    const here = await sdk(REGION).send(new DescribeApplicationsCommand({ ApplicationNames: ['site'] }));
    const elsewhere = await sdk('us-east-1').send(new DescribeApplicationsCommand({ ApplicationNames: ['site'] }));
    assert.equal(here.Applications?.[0]?.ApplicationArn, `arn:aws:elasticbeanstalk:${REGION}:123456789012:application/site`);
    assert.deepEqual(elsewhere.Applications, []);
  });

  void it('eb create launches a Docker environment and waits until it is Ready', async () => {
    const out = await eb('create', 'site-env', '--single', '--timeout', '2');
    assert.match(out, /Successfully launched environment: site-env/);
    assert.match(out, new RegExp(`Platform: arn:aws:elasticbeanstalk:${REGION}::platform/Docker running on 64bit Amazon Linux 2023/`));
    const env = (await sdk(REGION).send(new DescribeEnvironmentsCommand({ EnvironmentNames: ['site-env'] }))).Environments?.[0];
    assert.equal(env?.Status, 'Ready');
    assert.equal(env?.SolutionStackName, '64bit Amazon Linux 2023 v4.3.0 running Docker');
  });

  void it('eb deploy uploads a new version and follows its own update to completion', async () => {
    await writeFile(path.join(dir, 'VERSION'), 'v2\n');
    const out = await eb('deploy', '--label', 'v2', '--timeout', '2');
    assert.match(out, /Environment update completed successfully/);
    const env = (await sdk(REGION).send(new DescribeEnvironmentsCommand({ EnvironmentNames: ['site-env'] }))).Environments?.[0];
    assert.equal(env?.VersionLabel, 'v2');
  });

  void it('eb status, eb health, eb events and eb list report the environment', async () => {
    const status = await eb('status');
    assert.match(status, /Deployed Version: v2/);
    assert.match(status, /Status: Ready/);
    assert.match(status, /Health: Green/);
    assert.match(status, new RegExp(`CNAME: \\S+\\.${REGION}\\.elasticbeanstalk\\.com`));
    const health = await eb('health');
    assert.match(health, /site-env\s+Ok/);
    assert.match(health, /Deployed\s+\d+\s+v2/);
    assert.match(await eb('events'), /Environment update completed successfully\./);
    assert.match(await eb('list'), /^\* site-env$/m);
  });

  void it('eb terminate ends the environment', async () => {
    const out = await eb('terminate', 'site-env', '--force', '--timeout', '2');
    assert.match(out, /terminateEnvironment completed successfully/);
    const live = await sdk(REGION).send(new DescribeEnvironmentsCommand({ ApplicationName: 'site', IncludeDeleted: false }));
    assert.deepEqual(live.Environments, []);
  });
});
