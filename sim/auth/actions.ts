// The IAM action an API operation needs, where its name differs from the operation's.

const iamPrefix: Record<string, string> = { efs: 'elasticfilesystem' };

const s3Actions: Record<string, string> = {
  ListBuckets: 'ListAllMyBuckets',
  HeadBucket: 'ListBucket',
  ListObjects: 'ListBucket',
  ListObjectsV2: 'ListBucket',
  HeadObject: 'GetObject',
  CreateMultipartUpload: 'PutObject',
  UploadPart: 'PutObject',
  CompleteMultipartUpload: 'PutObject',
  AbortMultipartUpload: 'AbortMultipartUpload',
  DeleteObjects: 'DeleteObject',
  ListParts: 'ListMultipartUploadParts',
  ListMultipartUploads: 'ListBucketMultipartUploads',
  PutPublicAccessBlock: 'PutBucketPublicAccessBlock',
  GetPublicAccessBlock: 'GetBucketPublicAccessBlock',
  DeletePublicAccessBlock: 'PutBucketPublicAccessBlock',
};

export function iamActionFor(service: string, operation: string): string {
  const action = service === 's3' ? (s3Actions[operation] ?? operation) : operation;
  return `${iamPrefix[service] ?? service}:${action}`;
}
