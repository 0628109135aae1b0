import { nonRetryable } from '../failures.js';

export function costLimitFailure(serverId: string, maxServerHours: number, progress: string) {
  return nonRetryable(
    'CostLimitExceeded',
    `Stopped ${progress}: server ${serverId} reached its maximum lifetime (transfer.maxServerHours = ${maxServerHours}); ` +
      'raise transfer.maxServerHours or start the sync again, which keeps every file already uploaded.',
    { serverId, maxServerHours },
  );
}
