import { ACCOUNT_ID } from '../ids.js';
import type { QueryService } from '../protocols/types.js';

// Dummy credentials map to one fixed identity, the account every sim ARN uses.
export const stsService: QueryService = {
  name: 'sts',
  signingName: 'sts',
  iamPrefix: 'sts',
  namespace: 'https://sts.amazonaws.com/doc/2011-06-15/',
  handlers: {
    GetCallerIdentity: (_input, ctx) => ({
      UserId: ctx.caller ? `AIDA${ctx.caller.accessKeyId.replace(/^AKIA/, '').toUpperCase().padEnd(16, '0').slice(0, 16)}` : 'AIDASIMULATORUSER0001',
      Account: ACCOUNT_ID,
      Arn: ctx.caller?.arn ?? `arn:aws:iam::${ACCOUNT_ID}:user/sim`,
    }),
  },
};
