import { randomUUID } from 'node:crypto';
import { DescribeConfigurationSettingsCommand } from '@aws-sdk/client-elastic-beanstalk';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { loadConfig } from '../../config/load.js';
import type { DemoSite } from './demo-site.js';
import { checkBucketMatches, seedDataBucket, servedEnvironment, simClients, writeExampleConfig } from './python-app.js';

const SECRETS_NS = 'aws:elasticbeanstalk:application:environmentsecrets';

/**
 * cellxgene (examples/cellxgene): the matrices compiled and synced to an S3 prefix, then the
 * Flask app deployed as a Python-platform source bundle behind the approval gate; its flask
 * secret stays in Secrets Manager and reaches the environment as a reference.
 */
export const cellxgeneDemo: DemoSite = {
  name: 'cellxgene',
  summary: 'cellxgene on Beanstalk (Python 3.11): compile the matrices, sync them to s3://cellxgene-site-data/cxg, deploy the app as a source bundle (approval, health, smoke check)',
  async seed(sim) {
    const { clients } = await seedDataBucket(sim, 'cellxgene', 'cellxgene-site-data');
    try {
      await clients.sm.send(new CreateSecretCommand({ Name: 'cellxgene/flask-secret-key', SecretString: `flask-${randomUUID()}` }));
    } finally {
      clients.destroy();
    }
  },
  writeConfig: (sim, demoDir, opts) => writeExampleConfig('cellxgene', sim, demoDir, opts),
  releaseInput: {},
  async verify(sim, configPath) {
    const config = await loadConfig(configPath);
    const bucket = await checkBucketMatches(sim, config, true);
    const { env, status, page } = await servedEnvironment(sim, config);
    if (env.Status !== 'Ready' || env.Health !== 'Green' || status !== 200 || !env.VersionLabel?.startsWith('cellxgene-app-')) {
      throw new Error(`cellxgene-prod is ${env.Status ?? '?'}/${env.Health ?? '?'} on ${env.VersionLabel ?? 'no version'}, its page answered ${status}: expected Ready, Green, a cellxgene-app-… version, 200`);
    }
    const clients = simClients(sim, config.aws?.region ?? 'us-east-1');
    let secretArn: string | undefined;
    try {
      const settings = await clients.eb.send(new DescribeConfigurationSettingsCommand({ ApplicationName: 'cellxgene', EnvironmentName: 'cellxgene-prod' }));
      secretArn = settings.ConfigurationSettings?.[0]?.OptionSettings?.find((o) => o.Namespace === SECRETS_NS && o.OptionName === 'FLASK_SECRET_KEY')?.Value;
    } finally {
      clients.destroy();
    }
    if (!secretArn?.includes(':secret:cellxgene/flask-secret-key')) throw new Error(`FLASK_SECRET_KEY is not a Beanstalk environment secret naming cellxgene/flask-secret-key (got ${secretArn ?? 'nothing'})`);
    return [
      bucket,
      `${env.EnvironmentName ?? ''}: ${env.Status}, ${env.Health}, runs ${env.VersionLabel} on ${env.SolutionStackName ?? env.PlatformArn ?? '?'}; GET ${config.beanstalk?.smokePath ?? '/'} answered ${status} (${String(page.app)})`,
      `FLASK_SECRET_KEY reaches the environment as the secret's ARN (${secretArn}); its value was never read`,
    ];
  },
};
