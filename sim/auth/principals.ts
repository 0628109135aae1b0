import { ACCOUNT_ID } from '../ids.js';
import { ALLOW_ALL, type PolicyDocument } from './policy.js';

/** An identity the sim knows: its access key, secret, ARN and the policy attached to it. */
export interface Principal {
  accessKeyId: string;
  secretAccessKey: string;
  arn: string;
  policy: PolicyDocument;
}

export interface PrincipalInput {
  accessKeyId: string;
  secretAccessKey: string;
  /** The IAM user name in its ARN; default derived from the key. */
  userName?: string;
  /** Default: allow everything. */
  policy?: PolicyDocument;
}

// The dummy credentials the repo's clients use against the sim (tests, the runbook's local
// default, the examples), so turning verification on breaks none of them.
export const DEFAULT_PRINCIPALS: PrincipalInput[] = [
  { accessKeyId: 'AKIASIM', secretAccessKey: 'sim', userName: 'sim' },
  { accessKeyId: 'AKIASIMULATOR', secretAccessKey: 'sim-secret', userName: 'sim-simulator' },
  { accessKeyId: 'AKIALOCALSIM', secretAccessKey: 'local-sim', userName: 'runbook-local' },
];

export interface AuthSettings {
  /** Refuse unsigned or badly signed requests (default true). */
  signatures: boolean;
  /** Refuse what the caller's policy does not allow (default true). */
  policies: boolean;
}

/** The sim's identities, by access key and by ARN. */
export class PrincipalRegistry {
  private readonly byKey = new Map<string, Principal>();

  constructor(readonly settings: AuthSettings, initial: PrincipalInput[] = DEFAULT_PRINCIPALS) {
    for (const p of initial) this.add(p);
  }

  add(input: PrincipalInput): Principal {
    const userName = input.userName ?? `sim-${input.accessKeyId.toLowerCase()}`;
    const principal: Principal = {
      accessKeyId: input.accessKeyId,
      secretAccessKey: input.secretAccessKey,
      arn: `arn:aws:iam::${ACCOUNT_ID}:user/${userName}`,
      policy: input.policy ?? ALLOW_ALL,
    };
    this.byKey.set(input.accessKeyId, principal);
    return principal;
  }

  byAccessKey(id: string): Principal | undefined {
    return this.byKey.get(id);
  }

  byArn(arn: string): Principal | undefined {
    return [...this.byKey.values()].find((p) => p.arn === arn);
  }
}
