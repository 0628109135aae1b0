/**
 * Runs the product's S3 sync (`syncS3Prefix`, the activity a worker runs) in a process of its
 * own against the sim's S3, so the parent can time it and read its CPU as it does for
 * `aws s3 sync`. Usage: node --import tsx bench/lib/s3-sync-child.ts '<json S3SyncChildInput>'.
 * The AWS clients are the worker's own (createAwsClientFactory); only the activity context is a
 * mock, as in sync-child.ts.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createAwsClientFactory } from '../../activities/aws/clients.js';
import { syncS3Prefix, type S3SyncInput, type S3SyncReport } from '../../activities/s3-sync/sync-s3-prefix.js';
import { quietLogger } from './quiet-logger.js';
import { memoryOf } from './rss.js';

export interface S3SyncChildInput {
  sync: Omit<S3SyncInput, 'runStartedAt'>;
  workflowId: string;
}

export interface S3SyncChildResult {
  syncSeconds: number;
  report: S3SyncReport;
  /** CPU this process used for the sync (user + system), seconds. */
  cpuSeconds: number;
  hwm: number;
}


async function run(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? '{}') as S3SyncChildInput;
  const aws = createAwsClientFactory();
  const info = { attempt: 1, workflowExecution: { workflowId: input.workflowId, runId: 'bench' }, heartbeatTimeoutMs: 60_000 };
  const env = new MockActivityEnvironment(info, { logger: quietLogger });
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const report = (await env.run((i: S3SyncInput) => syncS3Prefix(aws, i), { ...input.sync, runStartedAt: new Date().toISOString() })) as S3SyncReport;
  const syncSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const out: S3SyncChildResult = { syncSeconds, report, cpuSeconds: (cpu.user + cpu.system) / 1e6, hwm: memoryOf('self')?.hwm ?? 0 };
  process.stdout.write(`RESULT ${JSON.stringify(out)}\n`);
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
