import type { PolicyDocument } from './policy.js';

// The AWS managed policies whose documents the sim knows, so a role that attaches one gets what
// AWS grants with it. A managed policy missing here grants nothing to SimulatePrincipalPolicy.
const efsClient = (actions: string[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: [...actions, 'elasticfilesystem:DescribeMountTargets'], Resource: '*' }],
});

export const MANAGED_POLICIES: Record<string, PolicyDocument> = {
  'arn:aws:iam::aws:policy/AmazonElasticFileSystemClientReadOnlyAccess': efsClient(['elasticfilesystem:ClientMount']),
  'arn:aws:iam::aws:policy/AmazonElasticFileSystemClientReadWriteAccess': efsClient(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite']),
  'arn:aws:iam::aws:policy/AmazonElasticFileSystemClientFullAccess': efsClient(['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientRootAccess']),
};
