import { randomUUID } from 'node:crypto';
import { AwsError } from '../errors.js';
import { ACCOUNT_ID, lowerAlnum } from '../ids.js';
import { now } from '../clock.js';
import { regional } from '../regions.js';
import type { JsonHandler } from '../protocols/types.js';
import type { Input } from '../protocols/input.js';
import type { SimContext } from '../context.js';
import type { SmSecret } from '../state.js';

// Secrets Manager on JSON 1.1 (`X-Amz-Target: secretsmanager.<Operation>`): enough of it for a
// config to refer to a secret by name or ARN, with the errors and ARN shape AWS uses.

const notFound = (): AwsError => new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const seconds = (ms: number): number => ms / 1000;

/** A secret by name, full ARN, or ARN without its random 6-character suffix, in the request's region. */
function findSecret(ctx: SimContext, id: string): SmSecret {
  const secrets = Object.values(regional(ctx).secretsManager.secrets);
  const found = secrets.find((s) => s.name === id || s.arn === id || s.arn.replace(/-[A-Za-z0-9]{6}$/, '') === id);
  if (!found) throw notFound();
  return found;
}

function secretId(input: Input): string {
  return input.str('SecretId');
}

function describe(secret: SmSecret): Record<string, unknown> {
  return {
    ARN: secret.arn,
    Name: secret.name,
    Description: secret.description,
    CreatedDate: seconds(secret.createdAt),
    LastChangedDate: seconds(secret.updatedAt),
    VersionIdsToStages: { [secret.versionId]: ['AWSCURRENT'] },
  };
}

export const secretsManagerHandlers: Record<string, JsonHandler> = {
  CreateSecret(input, ctx) {
    const name = input.str('Name');
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) throw input.dialect.invalid('Name', 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9/_+=.@-]+$');
    const key = name;
    const secrets = regional(ctx).secretsManager.secrets;
    if (secrets[key]) throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    const secretString = input.optStr('SecretString');
    const secretBinary = input.optStr('SecretBinary');
    if (secretString !== undefined && secretBinary !== undefined) {
      throw new AwsError('InvalidParameterException', 'You must provide either SecretString or SecretBinary, but not both.');
    }
    const at = now();
    const secret: SmSecret = {
      name,
      arn: `arn:aws:secretsmanager:${ctx.region}:${ACCOUNT_ID}:secret:${name}-${lowerAlnum(6)}`,
      description: input.optStr('Description'),
      secretString,
      secretBinary,
      versionId: input.optStr('ClientRequestToken') ?? randomUUID(),
      createdAt: at,
      updatedAt: at,
    };
    secrets[key] = secret;
    return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId };
  },

  GetSecretValue(input, ctx) {
    const secret = findSecret(ctx, secretId(input));
    const stage = input.optStr('VersionStage');
    const version = input.optStr('VersionId');
    if ((stage !== undefined && stage !== 'AWSCURRENT') || (version !== undefined && version !== secret.versionId)) {
      throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: " + (stage ?? version ?? ''));
    }
    if (secret.secretString === undefined && secret.secretBinary === undefined) {
      throw new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      SecretString: secret.secretString,
      SecretBinary: secret.secretBinary,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: seconds(secret.updatedAt),
    };
  },

  DescribeSecret(input, ctx) {
    return describe(findSecret(ctx, secretId(input)));
  },

  PutSecretValue(input, ctx) {
    const secret = findSecret(ctx, secretId(input));
    secret.secretString = input.optStr('SecretString');
    secret.secretBinary = input.optStr('SecretBinary');
    secret.versionId = input.optStr('ClientRequestToken') ?? randomUUID();
    secret.updatedAt = now();
    return { ARN: secret.arn, Name: secret.name, VersionId: secret.versionId, VersionStages: ['AWSCURRENT'] };
  },
};
