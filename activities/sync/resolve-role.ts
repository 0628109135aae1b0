import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { nonRetryable } from '../failures.js';

const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;

/**
 * A role ARN as given, or a plain role name turned into the ARN Transfer needs, with the
 * account (and partition) of the credentials the worker runs with.
 */
export async function resolveRoleArn(sts: STSClient, value: string, field: string): Promise<string> {
  if (ROLE_ARN.test(value)) return value;
  if (!ROLE_NAME.test(value)) {
    throw nonRetryable(
      'InvalidRole',
      `${field} "${value}" must be an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>) or a plain role name such as "aws-elasticbeanstalk-ec2-role": fix it in the config.`,
      { field },
    );
  }
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  const partition = /^arn:(aws[a-z-]*):/.exec(identity.Arn ?? '')?.[1] ?? 'aws';
  if (!identity.Account) throw new Error('STS GetCallerIdentity returned no account id');
  return `arn:${partition}:iam::${identity.Account}:role/${value}`;
}
