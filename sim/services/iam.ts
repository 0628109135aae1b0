import type { QueryService } from '../protocols/types.js';

// Filled in with SimulatePrincipalPolicy below, answered from the sim's own policies.
export const iamService: QueryService = {
  name: 'iam',
  signingName: 'iam',
  iamPrefix: 'iam',
  namespace: 'https://iam.amazonaws.com/doc/2010-05-08/',
  handlers: {},
};
