import { z } from 'zod';
import { notifySchema, SNS_TOPIC_ARN } from './notify-schema.js';
import { DOCKER_BUNDLE_ENTRIES, dockerOnlyBundle, isDockerPlatform } from './platform.js';

// One schema per top-level key of runbook.config.json; every message names the fix, because
// the person reading it is setting up a release, not debugging zod.

const argv = z
  .array(z.string().min(1, 'an argument may not be empty'), {
    error: 'must be an argv array such as ["python", "viz/data.py"], not a shell string',
  })
  .min(1, 'must name at least the program to run');

// Env values: a plain string, or a reference that is resolved only inside the activity that
// uses it, so the value never reaches workflow history, logs or the run dir.
const secretRef = z.strictObject({
  secret: z.string().min(1, 'must be a Secrets Manager secret ARN or name'),
  key: z.string().min(1, 'must name a key of the secret\'s JSON value').optional(),
});
const parameterRef = z.strictObject({
  parameter: z.string().min(1, 'must be an SSM Parameter Store parameter name (such as "/site/db-password") or ARN'),
  key: z.string().min(1, 'must name a key of the parameter\'s JSON value').optional(),
});
// A value the config owner declares as not secret, although its name or shape looks like one.
const plainValue = z.strictObject({ plain: z.string() });

export type SecretRef = z.infer<typeof secretRef>;
export type ParameterRef = z.infer<typeof parameterRef>;
export type SecretReference = SecretRef | ParameterRef;
export type EnvValue = string | SecretReference | z.infer<typeof plainValue>;

const envValue = z.union([z.string(), secretRef, parameterRef, plainValue], {
  error: 'must be a string, a reference such as {"secret": "<ARN or name>", "key": "optional JSON key"} or {"parameter": "/ssm/name"}, or {"plain": "value"}',
});

export function isReference(value: EnvValue): value is SecretReference {
  return typeof value === 'object' && !('plain' in value);
}

/** Names a secret is usually kept under; a plain value under such a name is refused. */
const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL|PRIVATE/i;

/** Why a plain value looks like a credential, or undefined; never echoes the value. */
export function credentialShape(value: string): string | undefined {
  if (/\b(AKIA|ASIA)[A-Z0-9]{16}\b/.test(value)) return 'an AWS access key id';
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return 'a private key';
  if (/hooks\.slack\.com\/services\//.test(value)) return 'a Slack webhook URL';
  if (/\b(gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9]{20,})\b/.test(value)) return 'an API token';
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i.test(value)) return 'a URL with a password in it';
  if (/^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+$/.test(value)) return 'a JSON web token';
  // Long random-looking strings: base64/hex of 32+ characters with mixed classes and no path shape.
  if (value.length >= 32 && /^[A-Za-z0-9+/=_-]+$/.test(value) && /[0-9]/.test(value) && /[a-z]/.test(value) && /[A-Z]/.test(value)) return 'a random token';
  return undefined;
}

const envMap = z.record(z.string(), envValue, { error: 'must be an object of string values' }).superRefine((map, ctx) => {
  for (const [name, value] of Object.entries(map)) {
    if (typeof value !== 'string') continue;
    const why = SECRET_NAME.test(name) ? `its name looks like a secret's` : credentialShape(value) ? `the value looks like ${credentialShape(value)}` : undefined;
    if (!why) continue;
    ctx.addIssue({
      code: 'custom',
      path: [name],
      message:
        `is a plain value and ${why}, so it would be stored in workflow history: write it as a reference, such as ` +
        `{"secret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:${name.toLowerCase()}"} or {"parameter": "/site/${name.toLowerCase()}"}, ` +
        `or as {"plain": "…"} if it is deliberately not secret`,
    });
  }
});

const positiveHours = z.number({ error: 'must be a number of hours' }).positive('must be greater than 0');

/**
 * SSH connections of the EFS sync (S3: requests at once). On a link capped per connection the
 * upload scales with connections; past 8 a 2-core worker's CPU is the limit (bench/RESULTS.md).
 */
export const DEFAULT_PARALLELISM = 8;

export const compileStepSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a short name of letters, digits, "-", "_" or "." (it names log files)'),
  command: argv,
  env: envMap.optional(),
  timeoutHours: positiveHours.max(24 * 30, 'must be at most 720 hours (30 days)').optional(),
  nonRetryableExitCodes: z.array(z.number().int().min(1).max(255)).optional(),
});

export const compileSchema = z.strictObject({
  outputDir: z.string().min(1).default('data/compiled'),
  steps: z
    .array(compileStepSchema)
    .min(1, 'must list at least one step')
    .refine((steps) => new Set(steps.map((s) => s.name)).size === steps.length, 'step names must be unique'),
  progressPattern: z
    .string()
    .refine(isRegExp, 'must be a valid regular expression with two capture groups (done, total)')
    .optional(),
  heartbeatTimeoutSeconds: z.number().int().min(5, 'must be at least 5 seconds').max(3600).default(120),
  maxAttempts: z.number().int().min(1).max(100).default(5),
  retryInitialSeconds: z.number().min(1).max(3600).default(10),
  killGraceSeconds: z.number().min(0).max(600).default(10),
});

export const figureSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be a short name of letters, digits, "-", "_" or "."'),
  command: argv,
  env: envMap.optional(),
  outputs: z.array(z.string().min(1)).min(1, 'must list the .pkl files the script writes'),
  timeoutHours: positiveHours.optional(),
});

export const figuresSchema = z.array(figureSchema).default([]);

// S3 bucket names: 3-63 characters of lower-case letters, digits, "." and "-", starting and ending
// with a letter or digit, no "..", not shaped like an IP address (the rules of the S3 user guide).
const bucketName = z
  .string({ error: 'must be an S3 bucket name such as "my-site-data"' })
  .min(1, { error: 'must not be empty: name the S3 bucket that holds the data, such as "my-site-data"', abort: true })
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be 3 to 63 lower-case letters, digits, "." or "-", starting and ending with a letter or digit, such as "my-site-data"')
  .refine((b) => !b.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(b), 'must not contain ".." or look like an IP address: use a name such as "my-site-data"');

// The prefix is the directory deleteExtraneous empties: it must name one plainly.
const s3Prefix = z
  .string({ error: 'must be a key prefix such as "data/compiled"' })
  .min(1, 'must not be empty (deleteExtraneous would then empty the whole bucket): use a prefix such as "data/compiled"')
  .max(512, 'must be at most 512 characters, leaving room for the file names under it')
  .refine((p) => !p.startsWith('/'), 'must not start with "/" (S3 keys have no leading slash): write it as "data/compiled"')
  .refine((p) => !p.split('/').some((seg, i, all) => seg === '..' || seg === '.' || (seg === '' && i < all.length - 1)), 'must not contain "..", "." or "//" segments (deleteExtraneous would empty what it points at): write the plain prefix, such as "data/compiled"')
  // Stored without the trailing slash; keys are `${prefix}/${relative path}`.
  .transform((p) => p.replace(/\/+$/, ''));

/** Where the data goes: EFS through a Transfer SFTP server (the default), or an S3 prefix. */
export const efsTargetSchema = z.strictObject({ kind: z.literal('efs') });
export const s3TargetSchema = z.strictObject({
  kind: z.literal('s3'),
  bucket: bucketName,
  prefix: s3Prefix,
  /** A static-website bucket: objects get a Content-Type from their extension, so browsers render them. */
  website: z.boolean({ error: 'must be true or false' }).default(false),
  /** Files at least this large go up in parts (resumable after a crash); S3's minimum part is 5 MiB. */
  multipartThresholdMb: z.number({ error: 'must be a number of MiB' }).min(5, 'must be at least 5 MiB (S3\'s smallest part)').max(5 * 1024, 'must be at most 5120 MiB (S3\'s largest single PUT)').default(16),
  partSizeMb: z.number({ error: 'must be a number of MiB' }).int('must be a whole number of MiB').min(5, 'must be at least 5 MiB (S3\'s smallest part)').max(5 * 1024, 'must be at most 5120 MiB (S3\'s largest part)').default(8),
  /** How long the sync may go silent before another worker resumes it. */
  heartbeatTimeoutSeconds: z.number().min(1, 'must be at least 1 second').max(3600).default(60),
  retryInitialSeconds: z.number().min(0.1, 'must be at least 0.1 seconds').max(3600).default(5),
  maxAttempts: z.number().int().min(1, 'must be at least 1').max(100).default(10),
});
export const dataTargetSchema = z.discriminatedUnion('kind', [efsTargetSchema, s3TargetSchema], {
  error: 'must be {"kind": "efs"} (EFS through Transfer, the default) or {"kind": "s3", "bucket": "my-site-data", "prefix": "data/compiled"}',
});
export type S3Target = z.infer<typeof s3TargetSchema>;

export const dataSchema = z.strictObject({
  localDir: z.string().min(1),
  // Required for the EFS target only (checked below); an S3 target is described by its bucket and prefix.
  remoteDir: z
    .string()
    .regex(/^\//, 'must be an absolute path on the file system, such as "/data"')
    // deleteExtraneous empties whatever this names: ".." must never widen it.
    .refine((p) => !p.split('/').includes('..'), 'must not contain ".." (deleteExtraneous would empty the directory it points at): write the plain absolute path, such as "/data"')
    .optional(),
  deleteExtraneous: z.boolean().default(false),
  parallelism: z.number().int().min(1).max(32).default(DEFAULT_PARALLELISM),
  verify: z.enum(['size', 'sample', 'all']).default('sample'),
  /** How many uploaded files `verify: "sample"` reads back and checksums. */
  verifySample: z.number().int().min(1, 'must be at least 1 file (or set verify to "size")').max(10_000).default(20),
  /** Where the data goes; without it, EFS through Transfer as before. */
  target: dataTargetSchema.default({ kind: 'efs' }),
}).superRefine((data, ctx) => {
  if (data.target.kind === 'efs' && data.remoteDir === undefined) {
    ctx.addIssue({ code: 'custom', path: ['remoteDir'], message: 'is required for the EFS target: add the absolute path on the file system, such as "/data" (or set data.target to {"kind": "s3", ...})' });
  }
}).transform(({ remoteDir, ...data }) => ({
  ...data,
  // The EFS sync reads remoteDir as a path; for S3 it names the target in results and logs.
  remoteDir: remoteDir ?? (data.target.kind === 's3' ? `s3://${data.target.bucket}/${data.target.prefix}/` : '/'),
}));

// Regions that exist: a well-formed name such as "eu-north-9" would otherwise pass here and then
// fail as a DNS error, retried for minutes. A region AWS opens later is added to this list.
export const awsRegions: ReadonlySet<string> = new Set([
  'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'us-gov-east-1', 'us-gov-west-1',
  'ca-central-1', 'ca-west-1', 'mx-central-1', 'sa-east-1',
  'eu-central-1', 'eu-central-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-south-1', 'eu-south-2', 'eu-north-1',
  'il-central-1', 'me-south-1', 'me-central-1', 'af-south-1',
  'ap-east-1', 'ap-east-2', 'ap-south-1', 'ap-south-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
  'cn-north-1', 'cn-northwest-1',
]);

export const awsSchema = z.strictObject({
  region: z.string({ error: 'must be an AWS region such as "us-east-1"' }).refine((r) => awsRegions.has(r), 'must be an AWS region such as "us-east-1"'),
  // z.url alone takes "localhost:4566" as a URL with the scheme "localhost:".
  endpoint: z.url({ protocol: /^https?$/, error: 'must be a URL such as "http://127.0.0.1:4566"' }).optional(),
  sftpEndpoint: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be "host:port", such as "127.0.0.1:2222"')
    .optional(),
  // The sim's S3 website endpoint: requests go there with the real website host in Host.
  websiteEndpoint: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'must be "host:port", such as "127.0.0.1:4567" (the sim\'s website endpoint; leave it out on AWS)')
    .optional(),
});

/** A static website served by S3 from the data target's bucket: the page the release checks once the data is synced. */
export const websiteSchema = z.strictObject({
  smokePath: z
    .string({ error: 'must name the page the release fetches from the website once the data is synced, such as "/dashboard/index.html"' })
    .regex(/^\//, 'must start with "/", such as "/dashboard/index.html" (a path on the bucket\'s website endpoint, so it includes data.target.prefix)'),
  smokeTimeoutSeconds: z.number({ error: 'must be a number of seconds' }).positive('must be greater than 0').max(3600, 'must be at most 3600 seconds').default(60),
});

export const transferSchema = z.strictObject({
  efsFileSystem: z.string().min(1, 'must be an EFS file system id (fs-…) or its Name tag'),
  userRole: z.string().min(1, 'must be an IAM role ARN or name, such as "aws-elasticbeanstalk-ec2-role"'),
  loggingRole: z.string().min(1).optional(),
  posixUid: z.number().int().min(0).default(0),
  posixGid: z.number().int().min(0).default(0),
  maxServerHours: positiveHours.max(72).default(6),
  hourlyRate: z.number().min(0).default(0.3),
  perGbRate: z.number().min(0).default(0.04),
  /** Transfer user the sync creates on its own server; Transfer allows 3-100 of [A-Za-z0-9_@.-]. */
  userName: z.string().regex(/^[\w][\w@.-]{2,99}$/, 'must be 3 to 100 letters, digits, "_", "@", "." or "-", such as "runbook-sync"').default('runbook-sync'),
  /** DescribeServer poll interval while waiting for ONLINE or for deletion. */
  pollSeconds: z.number().min(0.1, 'must be at least 0.1 seconds').max(300).default(5),
  /** A server still STARTING after this long is given up on (and deleted). */
  onlineTimeoutMinutes: z.number().positive('must be greater than 0').max(120).default(15),
  /** How long an upload may go silent before another worker resumes it. */
  heartbeatTimeoutSeconds: z.number().min(1, 'must be at least 1 second').max(3600).default(60),
  retryInitialSeconds: z.number().min(0.1, 'must be at least 0.1 seconds').max(3600).default(5),
  maxAttempts: z.number().int().min(1, 'must be at least 1').max(100).default(10),
  /** Default interval of the janitor's Temporal Schedule (`npm run schedule -- create janitor`). */
  janitorEveryMinutes: z.number().int().min(1, 'must be at least 1 minute').max(24 * 60).default(15),
});

export const imageSchema = z.strictObject({
  name: z.string().min(1),
  repository: z.string().min(1, 'must be a repository URI such as "public.ecr.aws/abc123/ct-site"'),
  tag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'must be a valid Docker tag').default('latest'),
  buildArgs: z.array(z.string()).default(['--compress', '--rm']),
  context: z.string().default('.'),
  dockerPath: z.string().default('docker'),
  buildTimeoutHours: positiveHours.max(48, 'must be at most 48 hours').default(2),
  // A push stuck on a dead connection never ends by itself; each attempt is cut off after this.
  pushTimeoutMinutes: z.number({ error: 'must be a number of minutes' }).positive('must be greater than 0').max(240, 'must be at most 240 minutes').default(30),
  pushAttempts: z.number().int('must be a whole number').min(1, 'must be at least 1').max(20, 'must be at most 20').default(3),
  retryInitialSeconds: z.number().min(0.1, 'must be at least 0.1 seconds').max(600, 'must be at most 600 seconds').default(10),
  // After a successful deploy, images beyond the newest this many that no retained version runs are deleted.
  keepImages: z.number({ error: 'must be a whole number of images' }).int('must be a whole number of images').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(10),
});

export const beanstalkSchema = z.strictObject({
  application: z.string().min(1),
  environment: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]{2,38}[A-Za-z0-9]$/, 'must be 4 to 40 letters, digits or hyphens, not starting or ending with a hyphen'),
  platform: z.string().optional(),
  instanceType: z.string().optional(),
  // Plain values become environment properties; references become Beanstalk environment
  // secrets (ARNs Beanstalk resolves on the instance), so the value never passes through here.
  envVars: envMap
    .superRefine((map, ctx) => {
      for (const [name, value] of Object.entries(map)) {
        if (typeof value === 'object' && 'key' in value && value.key !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [name, 'key'],
            message: 'cannot pick a JSON key: Beanstalk environment secrets take a whole secret or parameter, so store that value in a secret of its own and drop "key"',
          });
        }
      }
    })
    .default({}),
  // The Docker platform's files by default; a site on any other platform lists its app's files
  // (such as ["."]: the site dir minus .ebignore, as `eb deploy` zips it).
  bundle: z.array(z.string()).default([...DOCKER_BUNDLE_ENTRIES]),
  s3Bucket: z.string().optional(),
  timeoutMinutes: z.number().positive().max(240).default(30),
  pollSeconds: z.number().positive().max(300).default(10),
  acceptYellow: z.boolean().default(false),
  rollback: z.boolean().default(true),
  smokePath: z.string().regex(/^\//, 'must start with "/"').default('/'),
  restartAfterSync: z.boolean().default(false),
  // Approval waits for a person: a week by default, then the run ends without deploying.
  approvalTimeoutHours: z.number({ error: 'must be a number of hours' }).positive('must be greater than 0').max(24 * 30, 'must be at most 720 hours (30 days)').default(24 * 7),
  smokeTimeoutSeconds: z.number().positive('must be greater than 0').max(3600, 'must be at most 3600 seconds').default(120),
  // Enhanced health often reads Warning for a minute after a deploy; only a lasting Red/Yellow fails it.
  healthGraceSeconds: z.number().min(0, 'must be 0 or more seconds').max(1800, 'must be at most 1800 seconds').default(60),
  // A missing environment is created only on a first deploy (no live environment in the application)
  // unless this is set, so a typo in "environment" never launches a second, billed environment.
  createIfMissing: z.boolean({ error: 'must be true or false' }).default(false),
  // Application versions kept (MaxCountRule, set once if the application has no rule); at least 2
  // so the version before the current one, the rollback target, always survives.
  keepVersions: z.number({ error: 'must be a whole number of versions' }).int('must be a whole number of versions').min(2, 'must be at least 2, so the rollback target is kept').max(1000, 'must be at most 1000').default(10),
  // The role Beanstalk deletes old versions as (name or ARN); the console creates this one.
  serviceRole: z.string().min(1, 'must be an IAM role name or ARN, such as "aws-elasticbeanstalk-service-role"').default('aws-elasticbeanstalk-service-role'),
});

export const runbookConfigSchema = z.strictObject({
  site: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and hyphens, such as "contact-tracing"'),
  siteDir: z.string().min(1).default('.'),
  stateDir: z.string().min(1).default('.runbook'),
  // Run dirs (logs, process records, journals) kept per workflow type; older ones are removed.
  keepRuns: z.number({ error: 'must be a whole number of runs' }).int('must be a whole number of runs').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(10),
  aws: awsSchema.optional(),
  compile: compileSchema,
  figures: figuresSchema,
  data: dataSchema.optional(),
  transfer: transferSchema.optional(),
  image: imageSchema.optional(),
  beanstalk: beanstalkSchema.optional(),
  website: websiteSchema.optional(),
  notify: notifySchema.optional(),
}).superRefine((config, ctx) => {
  // References are read through AWS, in the config's region.
  if (config.aws) return;
  const maps: [PropertyKey[], Record<string, EnvValue> | undefined][] = [
    ...config.compile.steps.map((s, i): [PropertyKey[], Record<string, EnvValue> | undefined] => [['compile', 'steps', i, 'env'], s.env]),
    ...config.figures.map((f, i): [PropertyKey[], Record<string, EnvValue> | undefined] => [['figures', i, 'env'], f.env]),
    [['beanstalk', 'envVars'], config.beanstalk?.envVars],
  ];
  for (const [at, map] of maps) {
    const name = Object.entries(map ?? {}).find(([, v]) => isReference(v))?.[0];
    if (name) {
      ctx.addIssue({ code: 'custom', path: [...at, name], message: 'is a secret reference, which is read from AWS: add an "aws" section such as {"region": "us-east-1"}' });
      return;
    }
  }
}).superRefine((config, ctx) => {
  // A non-Docker platform (Python for cellxgene and TrendFinder) runs the bundle's own files: no
  // image to build, and a bundle of more than Dockerrun.aws.json.
  const platform = config.beanstalk?.platform;
  if (!config.beanstalk || platform === undefined || isDockerPlatform(platform)) return;
  if (config.image) {
    ctx.addIssue({ code: 'custom', path: ['image'], message: `is for the Docker platform, but beanstalk.platform is "${platform}", which runs the bundle's own files: remove the image section (the app deploys as a source bundle)` });
  }
  if (dockerOnlyBundle(config.beanstalk.bundle)) {
    ctx.addIssue({
      code: 'custom',
      path: ['beanstalk', 'bundle'],
      message: `lists only the Docker platform's files (${DOCKER_BUNDLE_ENTRIES.join(', ')}), but beanstalk.platform is "${platform}", which runs the app's own files: ` +
        'list them, such as ["."] (the site dir minus what .ebignore excludes, as eb deploy zips it) or ["application.py", "requirements.txt", ".ebextensions"]',
    });
  }
}).superRefine((config, ctx) => {
  // An S3 target is reached through AWS in the config's region, which the preflight checks the bucket against.
  if (config.data?.target.kind === 's3' && !config.aws) {
    ctx.addIssue({ code: 'custom', path: ['data', 'target'], message: 'is an S3 bucket, reached through AWS: add an "aws" section such as {"region": "us-east-1"} naming the bucket\'s region' });
  }
}).superRefine((config, ctx) => {
  // The website is the data target's bucket served by S3: without such a target there is nothing to check.
  const target = config.data?.target;
  if (config.website && (target?.kind !== 's3' || !target.website)) {
    ctx.addIssue({ code: 'custom', path: ['website'], message: 'checks a page of an S3 static website, so data.target must be {"kind": "s3", "bucket": "…", "prefix": "…", "website": true}: set that, or remove the "website" section' });
  }
}).superRefine((config, ctx) => {
  const notify = config.notify;
  if (!notify) return;
  for (const [i, channel] of notify.channels.entries()) {
    const field = channel.webhook ? 'webhook' : 'snsTopicArn';
    if (!config.aws) {
      ctx.addIssue({ code: 'custom', path: ['notify', 'channels', i, field], message: 'is read or published through AWS: add an "aws" section such as {"region": "us-east-1"}' });
      continue;
    }
    // SNS publishes only to topics of the client's region; a topic elsewhere would fail every message.
    const region = channel.snsTopicArn ? SNS_TOPIC_ARN.exec(channel.snsTopicArn)?.[2] : undefined;
    if (region !== undefined && region !== config.aws.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['notify', 'channels', i, 'snsTopicArn'],
        message: `is a topic in ${region}, but the site's region (aws.region) is ${config.aws.region}: use the site's topic in ${config.aws.region}`,
      });
    }
  }
  const steps = new Set(config.compile.steps.map((s) => s.name));
  for (const name of Object.keys(notify.expectedStepHours)) {
    if (!steps.has(name)) {
      ctx.addIssue({ code: 'custom', path: ['notify', 'expectedStepHours', name], message: `names no compile step: use one of ${[...steps].map((s) => `"${s}"`).join(', ')}` });
    }
  }
});

export type RunbookConfig = z.infer<typeof runbookConfigSchema>;
export type EnvMap = Record<string, EnvValue>;
export type CompileStep = z.infer<typeof compileStepSchema>;
export type FigureScript = z.infer<typeof figureSchema>;

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
