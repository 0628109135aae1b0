import { AwsError } from '../errors.js';
import { ACCOUNT_ID } from '../ids.js';
import { now } from '../clock.js';
import { regional } from '../regions.js';
import type { JsonHandler } from '../protocols/types.js';
import type { SimContext } from '../context.js';
import type { SsmParameter } from '../state.js';

// SSM Parameter Store on JSON 1.1 (`X-Amz-Target: AmazonSSM.<Operation>`): String and
// SecureString parameters by name or ARN. A SecureString read without decryption answers with
// an opaque ciphertext, as AWS does, so a caller that forgets WithDecryption sees it at once.

const TYPES = ['String', 'StringList', 'SecureString'] as const;

function parameterArn(region: string, name: string): string {
  // AWS writes "/a/b" as "parameter/a/b" and "a" as "parameter/a".
  return `arn:aws:ssm:${region}:${ACCOUNT_ID}:parameter/${name.replace(/^\//, '')}`;
}

function findParameter(ctx: SimContext, nameOrArn: string): SsmParameter {
  const params = Object.values(regional(ctx).ssm.parameters);
  const found = params.find((p) => p.name === nameOrArn || parameterArn(ctx.region, p.name) === nameOrArn);
  // AWS answers ParameterNotFound with an empty message.
  if (!found) throw new AwsError('ParameterNotFound', '');
  return found;
}

function ciphertext(p: SsmParameter): string {
  return Buffer.from(`sim-kms:${p.keyId ?? 'alias/aws/ssm'}:${p.version}:${p.name}`).toString('base64');
}

export const ssmHandlers: Record<string, JsonHandler> = {
  PutParameter(input, ctx) {
    const name = input.str('Name');
    const value = input.str('Value');
    const type = input.optStr('Type');
    if (!/^[A-Za-z0-9/_.-]{1,2048}$/.test(name)) throw input.dialect.invalid('Name', 'Member must satisfy regular expression pattern: ^[a-zA-Z0-9/_.-]+$');
    if (type !== undefined && !(TYPES as readonly string[]).includes(type)) {
      throw input.dialect.invalid('Type', 'Member must satisfy enum value set: [SecureString, StringList, String]');
    }
    const key = name;
    const params = regional(ctx).ssm.parameters;
    const existing = params[key];
    if (existing && input.optBool('Overwrite') !== true) {
      throw new AwsError('ParameterAlreadyExists', 'The parameter already exists. To overwrite this value, set the overwrite option in the request to true.');
    }
    if (!existing && type === undefined) throw new AwsError('ValidationException', 'A parameter type is required when you create a parameter.');
    const parameter: SsmParameter = {
      name,
      type: (type ?? existing?.type) as SsmParameter['type'],
      value,
      version: (existing?.version ?? 0) + 1,
      keyId: input.optStr('KeyId') ?? existing?.keyId,
      description: input.optStr('Description') ?? existing?.description,
      updatedAt: now(),
    };
    params[key] = parameter;
    return { Version: parameter.version, Tier: 'Standard' };
  },

  GetParameter(input, ctx) {
    const p = findParameter(ctx, input.str('Name'));
    const decrypt = input.optBool('WithDecryption') === true;
    return {
      Parameter: {
        Name: p.name,
        Type: p.type,
        Value: p.type === 'SecureString' && !decrypt ? ciphertext(p) : p.value,
        Version: p.version,
        LastModifiedDate: p.updatedAt / 1000,
        ARN: parameterArn(ctx.region, p.name),
        DataType: 'text',
      },
    };
  },
};
