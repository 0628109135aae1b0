import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateApplicationCommand, CreateEnvironmentCommand, DescribeConfigurationSettingsCommand, ElasticBeanstalkClient,
  UpdateEnvironmentCommand, waitUntilEnvironmentUpdated,
} from '@aws-sdk/client-elastic-beanstalk';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { RunningSim } from '../../sim/index.js';
import { expectAwsError, sdkOptions, useFastSim } from './helpers.js';

// Secrets Manager and SSM Parameter Store as the runbook's references use them, and Beanstalk
// option settings kept and reported back, the environmentsecrets namespace included.

void describe('Secrets Manager, SSM Parameter Store and Beanstalk option settings', () => {
  let sim: RunningSim;
  let sm: SecretsManagerClient;
  let ssm: SSMClient;
  let eb: ElasticBeanstalkClient;

  useFastSim((started) => {
    sim = started;
    [sm, ssm, eb] = [new SecretsManagerClient(sdkOptions(sim)), new SSMClient(sdkOptions(sim)), new ElasticBeanstalkClient(sdkOptions(sim))];
    return [sm, ssm, eb];
  });

  it('creates a secret and reads it back by name, full ARN and partial ARN', async () => {
    const created = await sm.send(new CreateSecretCommand({ Name: 'site/flask', SecretString: '{"key":"v1"}' }));
    assert.match(created.ARN ?? '', /^arn:aws:secretsmanager:us-east-1:123456789012:secret:site\/flask-[A-Za-z0-9]{6}$/);
    for (const id of ['site/flask', created.ARN as string, (created.ARN as string).slice(0, -7)]) {
      const got = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      assert.equal(got.SecretString, '{"key":"v1"}');
      assert.deepEqual(got.VersionStages, ['AWSCURRENT']);
    }
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'site/flask' }));
    assert.equal(described.ARN, created.ARN);
    assert.ok(described.CreatedDate instanceof Date);
    await expectAwsError(sm.send(new CreateSecretCommand({ Name: 'site/flask', SecretString: 'x' })), 'ResourceExistsException');
    const missing = await expectAwsError(sm.send(new GetSecretValueCommand({ SecretId: 'site/missing' })), 'ResourceNotFoundException');
    assert.equal(missing.message, "Secrets Manager can't find the specified secret.");
  });

  it('keeps SecureString parameters encrypted unless asked WithDecryption', async () => {
    assert.equal((await ssm.send(new PutParameterCommand({ Name: '/site/db-password', Value: 'hunter2', Type: 'SecureString' }))).Version, 1);
    const plain = await ssm.send(new GetParameterCommand({ Name: '/site/db-password', WithDecryption: true }));
    assert.equal(plain.Parameter?.Value, 'hunter2');
    assert.equal(plain.Parameter?.ARN, 'arn:aws:ssm:us-east-1:123456789012:parameter/site/db-password');
    const sealed = await ssm.send(new GetParameterCommand({ Name: plain.Parameter?.ARN }));
    assert.notEqual(sealed.Parameter?.Value, 'hunter2');
    await expectAwsError(ssm.send(new PutParameterCommand({ Name: '/site/db-password', Value: 'x', Type: 'SecureString' })), 'ParameterAlreadyExists');
    assert.equal((await ssm.send(new PutParameterCommand({ Name: '/site/db-password', Value: 'x', Overwrite: true }))).Version, 2);
    await expectAwsError(ssm.send(new GetParameterCommand({ Name: '/site/none' })), 'ParameterNotFound');
  });

  it('stores option settings on create and update and reports them in DescribeConfigurationSettings', async () => {
    await eb.send(new CreateApplicationCommand({ ApplicationName: 'app' }));
    const env = 'app-prod';
    await eb.send(new CreateEnvironmentCommand({
      ApplicationName: 'app', EnvironmentName: env, SolutionStackName: '64bit Amazon Linux 2023 v4.3.0 running Docker',
      OptionSettings: [
        { Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'DATA_DIR', Value: '/data' },
        { Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'OLD_FLAG', Value: '1' },
        { Namespace: 'aws:elasticbeanstalk:application:environmentsecrets', OptionName: 'FLASK_SECRET_KEY', Value: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf' },
      ],
    }));
    await waitUntilEnvironmentUpdated({ client: eb, maxWaitTime: 10, minDelay: 0.1, maxDelay: 0.2 }, { EnvironmentNames: [env] });
    await eb.send(new UpdateEnvironmentCommand({
      EnvironmentName: env,
      OptionSettings: [{ Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'DATA_DIR', Value: '/data2' }],
      OptionsToRemove: [{ Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: 'OLD_FLAG' }],
    }));
    const out = await eb.send(new DescribeConfigurationSettingsCommand({ ApplicationName: 'app', EnvironmentName: env }));
    const settings = Object.fromEntries((out.ConfigurationSettings?.[0]?.OptionSettings ?? []).map((o) => [`${o.Namespace}:${o.OptionName}`, o.Value]));
    // What nobody set reads as the platform's default, as on AWS.
    assert.equal(settings['aws:autoscaling:launchconfiguration:InstanceType'], 't3.micro');
    const environment = Object.fromEntries(Object.entries(settings).filter(([k]) => k.startsWith('aws:elasticbeanstalk:application:environment')));
    assert.deepEqual(environment, {
      'aws:elasticbeanstalk:application:environment:DATA_DIR': '/data2',
      'aws:elasticbeanstalk:application:environmentsecrets:FLASK_SECRET_KEY': 'arn:aws:secretsmanager:us-east-1:123456789012:secret:a-AbCdEf',
    });
    await expectAwsError(eb.send(new DescribeConfigurationSettingsCommand({ ApplicationName: 'app', EnvironmentName: 'app-none' })), 'InvalidParameterValue');
  });
});
