import { AwsError } from '../errors.js';
import { ACCOUNT_ID } from '../ids.js';
import { simulatePrincipalPolicy } from '../auth/simulate.js';
import type { QueryService } from '../protocols/types.js';

// IAM is global: the roles the runbook and the `eb` CLI look up exist from the start (a real
// account has them once Beanstalk's console or `eb create` made them).
const ROLE_CREATED = new Date('2024-01-01T00:00:00Z');
const TRUST = (service: string): string => encodeURIComponent(JSON.stringify({
  Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
}));

const ROLES = [
  { name: 'aws-elasticbeanstalk-ec2-role', service: 'ec2.amazonaws.com', id: 'AROASIMEC2ROLE000001' },
  { name: 'aws-elasticbeanstalk-service-role', service: 'elasticbeanstalk.amazonaws.com', id: 'AROASIMEBSERVICE0001' },
  { name: 'AWSTransferLoggingAccess', service: 'transfer.amazonaws.com', id: 'AROASIMTRANSFERLOG01' },
];

const role = (r: (typeof ROLES)[number]): Record<string, unknown> => ({
  Path: '/', RoleName: r.name, RoleId: r.id, Arn: `arn:aws:iam::${ACCOUNT_ID}:role/${r.name}`,
  CreateDate: ROLE_CREATED, AssumeRolePolicyDocument: TRUST(r.service), MaxSessionDuration: 3600,
});

const instanceProfile = (r: (typeof ROLES)[number]): Record<string, unknown> => ({
  Path: '/', InstanceProfileName: r.name, InstanceProfileId: r.id.replace(/^AROA/, 'AIPA'),
  Arn: `arn:aws:iam::${ACCOUNT_ID}:instance-profile/${r.name}`, CreateDate: ROLE_CREATED, Roles: [role(r)],
});

const noSuchEntity = (kind: string, name: string): AwsError => new AwsError('NoSuchEntity', `The ${kind} with name ${name} cannot be found.`, 404);

export const iamService: QueryService = {
  name: 'iam',
  signingName: 'iam',
  iamPrefix: 'iam',
  namespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
  handlers: {
    ListRoles: () => ({ Roles: ROLES.map(role), IsTruncated: false }),
    GetRole(input) {
      const name = input.str('RoleName');
      const found = ROLES.find((r) => r.name === name);
      if (!found) throw noSuchEntity('role', name);
      return { Role: role(found) };
    },
    ListInstanceProfiles: () => ({ InstanceProfiles: ROLES.filter((r) => r.service === 'ec2.amazonaws.com').map(instanceProfile), IsTruncated: false }),
    GetInstanceProfile(input) {
      const name = input.str('InstanceProfileName');
      const found = ROLES.find((r) => r.name === name && r.service === 'ec2.amazonaws.com');
      if (!found) throw noSuchEntity('instance profile', name);
      return { InstanceProfile: instanceProfile(found) };
    },
    SimulatePrincipalPolicy: (input, ctx) => simulatePrincipalPolicy(input, ctx),
  },
};
