import { ECRClient } from '@aws-sdk/client-ecr';
import { ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import { EFSClient } from '@aws-sdk/client-efs';
import { IAMClient } from '@aws-sdk/client-iam';
import { ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { TransferClient } from '@aws-sdk/client-transfer';
import { log } from '@temporalio/activity';

export interface AwsTarget {
  region: string;
  /** Set for the local sim (or LocalStack); the real account otherwise. */
  endpoint?: string;
}

/** Every AWS client the runbook uses, built from one set of options. */
export interface AwsClients {
  transfer: TransferClient;
  efs: EFSClient;
  beanstalk: ElasticBeanstalkClient;
  s3: S3Client;
  ecrPublic: ECRPUBLICClient;
  ecr: ECRClient;
  sts: STSClient;
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
  iam: IAMClient;
  sns: SNSClient;
}

export type AwsClientFactory = (target: AwsTarget) => AwsClients;

// The SDK logs every failed call at "error", including the ones callers expect and handle (a
// ResourceNotFound while polling a deletion); those belong at debug, as one readable line.
const sdkLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (...content: unknown[]) => activityLog('warn', content),
  error: (...content: unknown[]) => activityLog('debug', content),
};

function describeSdkLog(entry: unknown): string {
  if (entry && typeof entry === 'object') {
    const e = entry as { clientName?: string; commandName?: string; error?: { name?: string; message?: string } };
    if (e.commandName) return `${e.clientName ?? 'aws'} ${e.commandName}${e.error ? `: ${e.error.name ?? 'Error'} ${e.error.message ?? ''}` : ''}`.trim();
    if (entry instanceof Error) return `${entry.name}: ${entry.message}`;
  }
  return String(entry);
}

function activityLog(level: 'debug' | 'warn', content: unknown[]): void {
  const message = content.map(describeSdkLog).join(' ');
  try {
    log[level](`aws sdk: ${message}`);
  } catch {
    // Outside an activity (a client used by a script): stderr, for warnings only.
    if (level === 'warn') console.error(`aws sdk: ${message}`);
  }
}

/**
 * One place that makes clients for the real account or the sim. Credentials come from the
 * worker's environment (the usual chain), never from workflow input; against a local endpoint
 * without credentials, dummy ones are used because the sim does not check signatures.
 */
export function createAwsClientFactory(env: NodeJS.ProcessEnv = process.env): AwsClientFactory {
  const cache = new Map<string, AwsClients>();
  return (target) => {
    const endpoint = target.endpoint ?? env.AWS_ENDPOINT_URL;
    const key = `${target.region}|${endpoint ?? ''}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const local = endpoint !== undefined && /^https?:\/\/(127\.|localhost|\[::1\])/.test(endpoint);
    const common = {
      region: target.region,
      ...(endpoint ? { endpoint } : {}),
      ...(local && !env.AWS_ACCESS_KEY_ID ? { credentials: { accessKeyId: 'AKIALOCALSIM', secretAccessKey: 'local-sim' } } : {}),
      // The one layer that retries a throttled (or 5xx, or dropped) AWS call: adaptive mode backs
      // off across all calls of one client, up to 6 attempts (about a minute at most). Activities
      // do not loop on AWS errors; what outlasts this becomes AwsThrottled or a 5xx
      // (activities/aws/errors.ts) for the workflow's activity retry policy, which resumes the
      // step. Waiting for a resource to reach a state is a third concern: the SDK's waiters or
      // the wait's own poll loop, never a retry.
      retryMode: 'adaptive',
      maxAttempts: 6,
      logger: sdkLogger,
    } as const;
    const clients: AwsClients = {
      transfer: new TransferClient(common),
      efs: new EFSClient(common),
      beanstalk: new ElasticBeanstalkClient(common),
      s3: new S3Client({ ...common, forcePathStyle: local }),
      // ECR Public's API exists in us-east-1 (and us-west-2) only: whatever the site's region,
      // its client signs for us-east-1, where the registry's tokens and repositories are.
      ecrPublic: new ECRPUBLICClient({ ...common, region: 'us-east-1' }),
      ecr: new ECRClient(common),
      sts: new STSClient(common),
      secretsManager: new SecretsManagerClient(common),
      ssm: new SSMClient(common),
      iam: new IAMClient(common),
      sns: new SNSClient(common),
    };
    cache.set(key, clients);
    return clients;
  };
}
