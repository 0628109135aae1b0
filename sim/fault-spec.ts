import { z } from 'zod';

// Shared by the sim (validation) and the control client (types), so both read one definition.
export const faultServices = [
  'transfer', 'efs', 'elasticbeanstalk', 's3', 'ecr-public', 'ecr', 'sts', 'secretsmanager', 'ssm', 'sns', 'sftp', 'docker', '*',
] as const;

export const faultSpecSchema = z.strictObject({
  /** Which service the fault applies to; `*` means every AWS API service (not sftp/docker). */
  service: z.enum(faultServices),
  /** AWS operation name (`CreateServer`, `PutObject`...), docker subcommand (`push`), or `*`. */
  operation: z.string().min(1).default('*'),
  /** AWS error code returned instead of the operation's result, e.g. `ThrottlingException`. */
  errorCode: z.string().regex(/^[A-Za-z0-9.]+$/, 'errorCode must be an AWS error code such as ThrottlingException').optional(),
  /** HTTP status for errorCode; defaults by code (503 for ServiceUnavailable/SlowDown, 500 for Internal*, else 400). */
  httpStatus: z.number().int().min(400).max(599).optional(),
  message: z.string().optional(),
  /** Fire this many times, then retire. Without count the fault stays until cleared. */
  count: z.number().int().min(1).optional(),
  /** Probability (0..1) that each matching request fires. Combine with seed for repeatable runs. */
  rate: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
  /** Delay added before the request is answered (or the error returned); sftp: before each WRITE is answered. */
  latencyMs: z.number().int().min(0).max(600_000).optional(),
  /** sftp: the SSH connection is cut once this many file bytes (read + written) have moved. */
  dropAfterBytes: z.number().int().min(0).optional(),
  /** transfer: the next created/started server sticks in STARTING or ends in START_FAILED. */
  serverState: z.enum(['STUCK_STARTING', 'START_FAILED']).optional(),
  /** elasticbeanstalk: the next deploy (UpdateEnvironment) of this environment ends with health Red. */
  nextDeployRed: z.strictObject({ environmentName: z.string().min(1), versionLabel: z.string().optional() }).optional(),
  /** docker: the command sleeps until killed instead of finishing. */
  hang: z.boolean().optional(),
  /** docker: exit code of the failing command (default 1); `message` replaces its stderr. */
  exitCode: z.number().int().min(1).max(255).optional(),
}).superRefine((spec, ctx) => {
  const effects = [spec.errorCode, spec.latencyMs, spec.dropAfterBytes, spec.serverState, spec.nextDeployRed, spec.hang, spec.exitCode]
    .filter((v) => v !== undefined);
  if (effects.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'a fault needs an effect: errorCode, latencyMs, dropAfterBytes, serverState, nextDeployRed, hang or exitCode' });
  }
  const onlyFor = (field: keyof typeof spec, service: string): void => {
    if (spec[field] !== undefined && spec.service !== service) {
      ctx.addIssue({ code: 'custom', path: [field], message: `${field} applies only to service "${service}"` });
    }
  };
  onlyFor('dropAfterBytes', 'sftp');
  onlyFor('serverState', 'transfer');
  onlyFor('nextDeployRed', 'elasticbeanstalk');
  onlyFor('hang', 'docker');
  onlyFor('exitCode', 'docker');
  if ((spec.service === 'sftp' || spec.service === 'docker') && spec.errorCode !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['errorCode'], message: `errorCode is for AWS APIs; for "${spec.service}" use ${spec.service === 'sftp' ? 'dropAfterBytes' : 'exitCode or hang'}` });
  }
});

export type FaultSpecInput = z.input<typeof faultSpecSchema>;
export type FaultSpec = z.output<typeof faultSpecSchema>;

export interface FaultRecord {
  id: string;
  spec: FaultSpec;
  /** How many times it has fired so far. */
  fired: number;
  /** False once `count` firings are used up. */
  active: boolean;
}
