// Pure arithmetic of the sync's cost guard, shared by the workflow and its tests.

/**
 * The moment a server must stop working so that it is gone before `transfer.maxServerHours`:
 * a tenth of the allowance (at most 5 minutes) is kept for the teardown.
 */
export function serverDeadline(createdAt: string, maxServerHours: number): number {
  const allowanceMs = maxServerHours * 3_600_000;
  return Date.parse(createdAt) + allowanceMs - Math.min(allowanceMs / 10, 5 * 60_000);
}

/**
 * Transfer bills per hour per enabled protocol (only SFTP here) plus per GB uploaded; prorated
 * by the second, so this is an estimate of the bill, not the bill.
 */
export function estimateCost(serverSeconds: number, uploadedBytes: number, rates: { hourlyRate: number; perGbRate: number }): number {
  const cost = (serverSeconds / 3600) * rates.hourlyRate + (uploadedBytes / 1024 ** 3) * rates.perGbRate;
  return Math.round(cost * 10_000) / 10_000;
}
