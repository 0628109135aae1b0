import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DescribeApplicationsCommand } from '@aws-sdk/client-elastic-beanstalk';
import { DescribeRepositoriesCommand as DescribePrivateRepositories } from '@aws-sdk/client-ecr';
import { DescribeRepositoriesCommand as DescribePublicRepositories } from '@aws-sdk/client-ecr-public';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable } from '../failures.js';
import { proveUndoAllowed } from '../aws/prove-permissions.js';
import { awsErrorCode, rethrowAws } from '../aws/errors.js';
import { dockerEnv, type DeploySite, type EnvironmentSnapshot } from './deploy-config.js';
import { findEnvironment, liveEnvironments } from './describe-environment.js';
import { currentSettings, desiredSettings, planLaunch, planSettings, type SettingsChange } from './environment-settings.js';
import { parseRepository, type RegistryRef } from './registry-login.js';
import { DOCKERRUN, listBundleFiles, pinImage } from './source-bundle.js';
import { checkAppBundle } from './app-bundle.js';

const run = promisify(execFile);

export interface CheckDeployTargetInput {
  site: DeploySite;
  restartOnly: boolean;
  skipBuild: boolean;
}

export interface DeployTarget {
  application: string;
  applicationExists: boolean;
  environment: EnvironmentSnapshot | null;
  /** True on a first deploy: the environment is created from the platform in config. */
  createEnvironment: boolean;
  registry: RegistryRef | null;
  /** S3 bucket for source bundles: configured, or Beanstalk's own `elasticbeanstalk-<region>-<account>`. */
  bucket: string | null;
  bundleFiles: string[];
  /**
   * A site without an image section deploys its app's own files (Python and every non-Docker
   * platform): the SHA-256 of those files names the version, so an unchanged app reuses it.
   * Null for a Docker bundle and for a restart.
   */
  appBundleDigest?: string | null;
  gitSha: string | null;
  /**
   * What the deploy would change in the environment's settings (names only), shown at the
   * approval gate; null when the input carries no configPath. A restart applies none of it.
   */
  settings: SettingsChange | null;
}

/**
 * Everything that can be checked before anything is built, pushed or uploaded: the config
 * sections, the bundle's files and its Dockerrun.aws.json, the registry repository, the
 * application and environment. A typo fails here in seconds, not after a 20-minute build.
 */
export async function checkDeployTarget(aws: AwsClientFactory, input: CheckDeployTargetInput): Promise<DeployTarget> {
  const { site } = input;
  const clients = aws(site.aws);
  const { application, environment: envName } = site.beanstalk;

  let bundleFiles: string[] = [];
  let registry: RegistryRef | null = null;
  if (!input.restartOnly && site.image) {
    registry = parseRepository(site.image.repository);
    const files = await listBundleFiles(site.siteDir, site.beanstalk.bundle);
    bundleFiles = files.map((f) => f.name);
    const dockerrunPath = path.join(site.siteDir, DOCKERRUN);
    // A dry run of the digest rewrite: proves the file names the configured repository.
    pinImage(await readFile(files.find((f) => f.name === DOCKERRUN)?.absolute ?? dockerrunPath, 'utf8'), dockerrunPath, registry.uri, `sha256:${'0'.repeat(64)}`);
    await checkRepository(aws, site, registry);
    if (!input.skipBuild) await checkDocker(site);
  }

  let applicationExists: boolean;
  let environment: EnvironmentSnapshot | undefined;
  let others: string[] = [];
  try {
    const apps = await clients.beanstalk.send(new DescribeApplicationsCommand({ ApplicationNames: [application] }));
    applicationExists = (apps.Applications ?? []).some((a) => a.ApplicationName === application);
    environment = applicationExists ? await findEnvironment(clients.beanstalk, application, envName) : undefined;
    if (applicationExists && !environment) others = await liveEnvironments(clients.beanstalk, application);
  } catch (err) {
    rethrowAws(err, `Describing Beanstalk application "${application}"`);
  }

  let createEnvironment = false;
  if (!environment) {
    const where = applicationExists ? `application "${application}"` : `a missing application "${application}"`;
    if (input.restartOnly) {
      throw nonRetryable('EnvironmentNotFound', `Environment "${envName}" not found in ${where}${others.length ? ` (it has ${others.join(', ')})` : ''}: fix beanstalk.environment; there is nothing to restart.`);
    }
    if (others.length > 0 && !site.beanstalk.createIfMissing) {
      throw nonRetryable(
        'EnvironmentNotFound',
        `Environment "${envName}" not found in application "${application}", which has ${others.map((o) => `"${o}"`).join(', ')}: ` +
          `fix beanstalk.environment, or set beanstalk.createIfMissing to true to launch a new environment.`,
      );
    }
    if (!site.beanstalk.platform) {
      throw nonRetryable(
        'InvalidConfig',
        `Environment "${envName}" does not exist yet and beanstalk.platform is not set: add the platform to create it with, ` +
          `such as "64bit Amazon Linux 2023 v4.3.0 running Docker" or a platform ARN.`,
        { field: 'beanstalk.platform' },
      );
    }
    createEnvironment = true;
  }

  // No image section: the app's own files are the bundle, checked against the platform they run on.
  const app = !input.restartOnly && !site.image ? await checkAppBundle(site, site.beanstalk.platform ?? environment?.platform ?? null) : null;
  if (app) bundleFiles = app.files;

  if (environment && !input.restartOnly && site.beanstalk.rollback) {
    // The rollback is an UpdateEnvironment back to the previous version; prove it is allowed
    // before the environment changes, not when it is already unhealthy.
    try {
      await proveUndoAllowed(clients, 'The deploy', (account) => [{
        action: 'elasticbeanstalk:UpdateEnvironment',
        resource: `arn:aws:elasticbeanstalk:${site.aws.region}:${account}:environment/${application}/${envName}`,
        statement: 'DeployBeanstalk',
      }]);
    } catch (err) {
      rethrowAws(err, 'Checking the rollback permission (IAM SimulatePrincipalPolicy)');
    }
  }

  const bucket = input.restartOnly ? null : (site.beanstalk.s3Bucket ?? (await defaultBucket(aws, site)));
  const gitSha = await run('git', ['-C', site.siteDir, 'rev-parse', '--short=8', 'HEAD']).then(
    (r) => r.stdout.trim() || null,
    () => null,
  );
  const desired = await desiredSettings(aws, site);
  let settings: SettingsChange | null = null;
  if (desired) {
    settings = environment ? planSettings(await currentSettings(clients.beanstalk, application, envName), desired).change : planLaunch(desired);
  }
  const target: DeployTarget = {
    application,
    applicationExists,
    environment: environment ?? null,
    createEnvironment,
    registry,
    bucket,
    bundleFiles,
    appBundleDigest: app?.digest ?? null,
    gitSha,
    settings,
  };
  log.info('deploy target checked', { application, environment: envName, createEnvironment, bucket, files: bundleFiles.length, settings: settings?.summary ?? null });
  return target;
}

async function checkRepository(aws: AwsClientFactory, site: DeploySite, ref: RegistryRef): Promise<void> {
  try {
    if (ref.kind === 'ecr-public') {
      // ECR Public's API lives in us-east-1 only.
      await aws({ ...site.aws, region: 'us-east-1' }).ecrPublic.send(new DescribePublicRepositories({ repositoryNames: [ref.repositoryName] }));
    } else {
      await aws({ ...site.aws, region: ref.region ?? site.aws.region }).ecr.send(new DescribePrivateRepositories({ repositoryNames: [ref.repositoryName] }));
    }
  } catch (err) {
    if (awsErrorCode(err) === 'RepositoryNotFoundException') {
      const create = ref.kind === 'ecr-public'
        ? `aws ecr-public create-repository --repository-name ${ref.repositoryName} --region us-east-1`
        : `aws ecr create-repository --repository-name ${ref.repositoryName} --region ${ref.region ?? site.aws.region}`;
      throw nonRetryable('RepositoryNotFound', `Image repository "${ref.repositoryName}" does not exist in ${ref.kind === 'ecr' ? 'ECR' : 'ECR Public'}: create it (${create}) or fix image.repository.`);
    }
    rethrowAws(err, `Looking up image repository "${ref.repositoryName}"`);
  }
}

async function checkDocker(site: DeploySite): Promise<void> {
  const docker = site.image?.dockerPath ?? 'docker';
  try {
    await run(docker, ['--version'], { env: { ...process.env, ...dockerEnv(site) }, timeout: 30_000 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw nonRetryable(
      'InvalidConfig',
      code === 'ENOENT'
        ? `The docker CLI "${docker}" was not found: install docker, put it on the worker's PATH, or set image.dockerPath (or start with "skipBuild": true to deploy an image already pushed).`
        : `"${docker} --version" failed (${(err as Error).message.split('\n')[0]}): check the docker installation on the worker.`,
      { field: 'image.dockerPath' },
    );
  }
}

/** Beanstalk's own bucket, as `eb deploy` uses: elasticbeanstalk-<region>-<account>. */
async function defaultBucket(aws: AwsClientFactory, site: DeploySite): Promise<string> {
  try {
    const identity = await aws(site.aws).sts.send(new GetCallerIdentityCommand({}));
    return `elasticbeanstalk-${site.aws.region}-${identity.Account ?? 'unknown'}`;
  } catch (err) {
    rethrowAws(err, 'Finding the AWS account (STS GetCallerIdentity) for the default Beanstalk bucket');
  }
}
