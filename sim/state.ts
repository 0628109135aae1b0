import type { PolicyDocument } from './auth/policy.js';
// The sim's whole world as one JSON-serialisable value, so a restarted sim (same --state-dir)
// finds the servers, environments and objects a crashed run left behind.

export interface Tag { Key: string; Value: string }

export type ServerState = 'OFFLINE' | 'ONLINE' | 'STARTING' | 'STOPPING' | 'START_FAILED' | 'STOP_FAILED';

export interface SshKey { id: string; body: string; importedAt: number }

export interface TransferUser {
  userName: string;
  role: string;
  homeDirectory?: string;
  homeDirectoryType: 'PATH' | 'LOGICAL';
  homeDirectoryMappings?: { Entry: string; Target: string }[];
  posixProfile?: { Uid: number; Gid: number; SecondaryGids?: number[] };
  sshKeys: SshKey[];
  tags: Tag[];
}

export interface TransferServer {
  serverId: string;
  arn: string;
  domain: 'S3' | 'EFS';
  protocols: string[];
  identityProviderType: string;
  endpointType: string;
  loggingRole?: string;
  tags: Tag[];
  state: ServerState;
  /** When the pending transition (STARTING/STOPPING) completes; absent when stuck or settled. */
  pendingUntil?: number;
  pendingOutcome?: ServerState;
  createdAt: number;
  deletedAt?: number;
  users: Record<string, TransferUser>;
}

export interface EfsFileSystem {
  fileSystemId: string;
  creationToken: string;
  createdAt: number;
  performanceMode: string;
  throughputMode: string;
  encrypted: boolean;
  tags: Tag[];
  /** The file system policy (PutFileSystemPolicy), as JSON text. */
  policy?: string;
}

export interface S3Object {
  key: string;
  /** File name under <stateDir>/s3/<bucket>/ holding the bytes. */
  file: string;
  size: number;
  etag: string;
  lastModified: number;
  contentType?: string;
  metadata: Record<string, string>;
  /** Base64 SHA-256 S3 keeps when the upload sent one: of the object, or `<of part digests>-N` for multipart. */
  checksumSha256?: string;
}

export interface S3Bucket {
  name: string;
  /** Bucket names are global, but each bucket lives in one region (its LocationConstraint). */
  region: string;
  createdAt: number;
  objects: Record<string, S3Object>;
  /** PutBucketWebsite: served on the sim's website endpoint (sim/website-server.ts). */
  website?: S3WebsiteConfig;
  /** PutBucketPolicy, as JSON text. */
  policy?: string;
  /** PutPublicAccessBlock; new buckets get all four on, as S3 does since April 2023. Absent: none set. */
  publicAccessBlock?: S3PublicAccessBlock;
}

export interface S3WebsiteConfig {
  indexSuffix?: string;
  errorKey?: string;
  redirectAllRequestsTo?: { hostName: string; protocol?: string };
  /** Kept and returned as sent (each rule's Condition and Redirect fields); the sim does not apply them. */
  routingRules?: { condition?: Record<string, string>; redirect: Record<string, string> }[];
}

export interface S3PublicAccessBlock {
  blockPublicAcls: boolean;
  ignorePublicAcls: boolean;
  blockPublicPolicy: boolean;
  restrictPublicBuckets: boolean;
}

export interface MultipartUpload {
  uploadId: string;
  bucket: string;
  key: string;
  initiatedAt: number;
  contentType?: string;
  metadata: Record<string, string>;
  /** From CreateMultipartUpload's x-amz-checksum-algorithm: the parts then carry that checksum. */
  checksumAlgorithm?: string;
  parts: Record<string, { size: number; etag: string; file: string; lastModified?: number; checksumSha256?: string }>;
}

export interface EbApplication {
  name: string;
  description?: string;
  createdAt: number;
  updatedAt: number;
  /** Versions kept per application when told (ResourceLifecycleConfig MaxCountRule). */
  maxVersionCount?: number;
  deleteSourceFromS3?: boolean;
  serviceRole?: string;
}

export type VersionStatus = 'Unprocessed' | 'Processing' | 'Processed' | 'Failed';

export interface EbVersion {
  applicationName: string;
  versionLabel: string;
  description?: string;
  sourceBundle?: { S3Bucket: string; S3Key: string };
  status: VersionStatus;
  /** Outcome of processing, applied once `processedAt` passes. */
  processOutcome?: VersionStatus;
  processedAt?: number;
  createdAt: number;
}

export type EnvStatus = 'Launching' | 'Updating' | 'Ready' | 'Terminating' | 'Terminated' | 'Aborting';
export type EnvHealth = 'Green' | 'Yellow' | 'Red' | 'Grey';

/** An operation in flight on an environment; it completes (events and all) once `until` passes. */
export interface EbPendingOperation {
  kind: 'launch' | 'update' | 'restart' | 'terminate' | 'abort';
  startedAt: number;
  until: number;
  toVersion?: string;
  fromVersion?: string;
  goesRed: boolean;
  /** The request that started it; the events it writes carry this id. */
  requestId?: string;
  /** What deploying the version's bundle on the platform does (sim/services/source-bundle.ts). */
  verdict?: { failed?: string; appDown?: string; entry: string };
}

/** One option setting as Beanstalk stores it (ConfigurationOptionSetting). */
export interface EbOptionSetting {
  Namespace: string;
  OptionName: string;
  ResourceName?: string;
  Value: string;
}

export interface EbEnvironment {
  environmentId: string;
  environmentName: string;
  applicationName: string;
  versionLabel?: string;
  solutionStackName?: string;
  platformArn?: string;
  tier: { Name: string; Type: string; Version: string };
  description?: string;
  status: EnvStatus;
  health: EnvHealth;
  healthStatus: string;
  causes: string[];
  createdAt: number;
  updatedAt: number;
  port: number;
  pending?: EbPendingOperation;
  tags: Tag[];
  /** The settings given on create and update, merged; absent in states from older sims. */
  optionSettings?: EbOptionSetting[];
  /** The CNAME prefix asked for (CNAMEPrefix), or the environment name. */
  cnamePrefix?: string;
  /** What the instances run (the platform's start command) and, when it cannot start, why. */
  app?: { entry: string; down?: string };
}

/** A secret of the request's region, by name. */
export interface SmSecret {
  name: string;
  arn: string;
  description?: string;
  secretString?: string;
  secretBinary?: string;
  versionId: string;
  createdAt: number;
  updatedAt: number;
}

/** A parameter of the request's region, by name. */
export interface SsmParameter {
  name: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  keyId?: string;
  description?: string;
  updatedAt: number;
}

export interface EbEvent {
  eventDate: number;
  message: string;
  applicationName: string;
  versionLabel?: string;
  environmentName?: string;
  severity: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL';
  /** The API request whose work the event reports (`eb deploy` follows its own this way). */
  requestId?: string;
  /** Tie-breaker so events written in the same millisecond keep their order. */
  seq: number;
}

export interface EcrImage {
  digest: string;
  tags: string[];
  sizeInBytes: number;
  pushedAt: number;
}

export interface EcrRepository {
  name: string;
  createdAt: number;
  images: EcrImage[];
  /** Private ECR only: the lifecycle policy text as put, and when it last ran. */
  lifecyclePolicy?: { text: string; evaluatedAt?: number };
}

/** A registry password GetAuthorizationToken handed out, and to whom (pushes are authorized as them). */
export interface RegistryToken {
  password: string;
  /** The caller's ARN; absent when the request was unsigned (signatures off). */
  principalArn?: string;
}

export interface DockerImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: number;
  size: number;
  buildArgs: Record<string, string>;
}

export interface SnsSubscription {
  subscriptionArn: string;
  protocol: string;
  endpoint: string;
  /** E-mail and HTTP endpoints confirm first; until then AWS lists them as PendingConfirmation. */
  confirmed: boolean;
}

/** One accepted Publish, kept so tests can read what subscribers were sent. */
export interface SnsPublished {
  messageId: string;
  subject?: string;
  message: string;
  at: number;
  messageGroupId?: string;
  deduplicationId?: string;
}

export interface SnsTopic {
  arn: string;
  name: string;
  fifo: boolean;
  createdAt: number;
  subscriptions: SnsSubscription[];
  published: SnsPublished[];
}

/** What exists once per region: every resource but S3 buckets and the public registry. */
export interface RegionalState {
  transfer: { servers: Record<string, TransferServer> };
  efs: { fileSystems: Record<string, EfsFileSystem> };
  eb: {
    applications: Record<string, EbApplication>;
    versions: EbVersion[];
    environments: Record<string, EbEnvironment>;
    events: EbEvent[];
    eventSeq: number;
  };
  ecr: { repositories: Record<string, EcrRepository>; tokens: RegistryToken[] };
  secretsManager: { secrets: Record<string, SmSecret> };
  ssm: { parameters: Record<string, SsmParameter> };
  sns: { topics: Record<string, SnsTopic> };
}

export interface SimState {
  version: 2;
  regions: Record<string, RegionalState>;
  /** One bucket namespace for all regions, as in S3. */
  s3: { buckets: Record<string, S3Bucket>; uploads: Record<string, MultipartUpload> };
  /** ECR Public has one registry (public.ecr.aws), served from us-east-1. */
  ecrPublic: { repositories: Record<string, EcrRepository>; tokens: RegistryToken[] };
  /** Logins by registry host: the ARN of the principal the token was issued to, or `AWS` when none. */
  docker: { logins: Record<string, string>; images: DockerImage[] };
  /** IAM is global: roles (by name) with the service they trust and the managed policies attached. */
  iam: { roles: Record<string, IamRole>; instanceProfiles: Record<string, { roles: string[] }> };
}

export interface IamRole {
  /** The service principal(s) its trust policy lets assume it. */
  trusts: string | string[];
  /** Attached managed policy ARNs. */
  policies: string[];
  /** Inline policies by name (PutRolePolicy). */
  inline?: Record<string, PolicyDocument>;
  createdAt: number;
}

export function emptyRegion(): RegionalState {
  return {
    transfer: { servers: {} },
    efs: { fileSystems: {} },
    eb: { applications: {}, versions: [], environments: {}, events: [], eventSeq: 0 },
    ecr: { repositories: {}, tokens: [] },
    secretsManager: { secrets: {} },
    ssm: { parameters: {} },
    sns: { topics: {} },
  };
}

export function emptyState(): SimState {
  return {
    version: 2,
    regions: {},
    s3: { buckets: {}, uploads: {} },
    ecrPublic: { repositories: {}, tokens: [] },
    docker: { logins: {}, images: [] },
    iam: defaultIam(),
  };
}

// The roles a Beanstalk account has once the console or `eb create` made them, and Transfer's logging role.
function defaultIam(): SimState['iam'] {
  const at = Date.parse('2024-01-01T00:00:00Z');
  const managed = (names: string[]): string[] => names.map((n) => `arn:aws:iam::aws:policy/${n}`);
  return {
    roles: {
      'aws-elasticbeanstalk-ec2-role': { trusts: 'ec2.amazonaws.com', createdAt: at,
        policies: managed(['AWSElasticBeanstalkWebTier', 'AWSElasticBeanstalkMulticontainerDocker', 'AWSElasticBeanstalkWorkerTier']) },
      'aws-elasticbeanstalk-service-role': { trusts: 'elasticbeanstalk.amazonaws.com', createdAt: at,
        policies: managed(['service-role/AWSElasticBeanstalkEnhancedHealth', 'AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy']) },
      AWSTransferLoggingAccess: { trusts: 'transfer.amazonaws.com', createdAt: at, policies: managed(['service-role/AWSTransferLoggingAccess']) },
      // What a Transfer user on EFS needs: Transfer may assume it, and it may mount, write and be root.
      'transfer-efs-access': { trusts: 'transfer.amazonaws.com', createdAt: at, policies: managed(['AmazonElasticFileSystemClientFullAccess']) },
    },
    instanceProfiles: { 'aws-elasticbeanstalk-ec2-role': { roles: ['aws-elasticbeanstalk-ec2-role'] } },
  };
}
