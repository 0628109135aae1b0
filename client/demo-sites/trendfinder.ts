import path from 'node:path';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { CreateApplicationCommand, CreateApplicationVersionCommand, CreateEnvironmentCommand, DescribeEnvironmentsCommand, DescribeEventsCommand } from '@aws-sdk/client-elastic-beanstalk';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { listBundleFiles, writeBundleZip } from '../../activities/deploy/source-bundle.js';
import { loadConfig } from '../../config/load.js';
import type { RunningSim } from '../../sim/index.js';
import type { DemoSite } from './demo-site.js';
import { checkBucketMatches, createBucketIn, examplesDir, seedDataBucket, servedEnvironment, simClients, writeExampleConfig } from './python-app.js';

const PYTHON = '64bit Amazon Linux 2023 v4.1.0 running Python 3.11';
const RESTARTED = 'restartAppServer completed successfully.';

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    if (await probe()) return;
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** How many app-server restarts environment `trendfinder` has completed, from its events. */
export async function restartsCompleted(sim: RunningSim, region: string): Promise<number> {
  const clients = simClients(sim, region);
  try {
    const out = await clients.eb.send(new DescribeEventsCommand({ EnvironmentName: 'trendfinder', MaxRecords: 1000 }));
    return (out.Events ?? []).filter((e) => e.Message === RESTARTED).length;
  } finally {
    clients.destroy();
  }
}

/**
 * TrendFinder (examples/trendfinder): the weekly pipeline writes the week's
 * date/trend/plot/{df.csv,kwargs.json} tree, the sync puts it in S3, and the app servers restart
 * so the Flask app reloads: a data-only release, unattended (as its Temporal Schedule runs it).
 */
export const trendfinderDemo: DemoSite = {
  name: 'trendfinder',
  summary: 'TrendFinder (Python 3.11): the weekly pipeline, sync to s3://trendfinder-data/trends, restart-app-server: a data-only release with no approval',
  // The app was deployed long ago (eb create trendfinder); each week only the data changes.
  async seed(sim) {
    const { region, clients } = await seedDataBucket(sim, 'trendfinder', 'trendfinder-data');
    const work = await mkdtemp(path.join(os.tmpdir(), 'trendfinder-seed-'));
    try {
      await createBucketIn(clients.s3, 'trendfinder-seed-bundles', region);
      const siteDir = path.join(examplesDir, 'trendfinder');
      const zipPath = path.join(work, 'app.zip');
      await writeBundleZip(await listBundleFiles(siteDir, ['.'], 'source', path.join(siteDir, '.runbook')), null, zipPath);
      await clients.s3.send(new PutObjectCommand({ Bucket: 'trendfinder-seed-bundles', Key: 'trendfinder-v1.zip', Body: await readFile(zipPath) }));
      await clients.eb.send(new CreateApplicationCommand({ ApplicationName: 'trendfinder' }));
      await clients.eb.send(new CreateApplicationVersionCommand({ ApplicationName: 'trendfinder', VersionLabel: 'trendfinder-v1', SourceBundle: { S3Bucket: 'trendfinder-seed-bundles', S3Key: 'trendfinder-v1.zip' } }));
      // As `eb create trendfinder --instance-type t3.small --envvars …` left it: the config's settings, so a restart has none to report.
      const property = (name: string, value: string) => ({ Namespace: 'aws:elasticbeanstalk:application:environment', OptionName: name, Value: value });
      await clients.eb.send(new CreateEnvironmentCommand({
        ApplicationName: 'trendfinder', EnvironmentName: 'trendfinder', VersionLabel: 'trendfinder-v1', SolutionStackName: PYTHON,
        OptionSettings: [
          { Namespace: 'aws:autoscaling:launchconfiguration', OptionName: 'InstanceType', Value: 't3.small' },
          property('TRENDFINDER_BUCKET', 'trendfinder-data'),
          property('TRENDFINDER_PREFIX', 'trends'),
        ],
      }));
      await until('environment trendfinder to be Ready and Green', async () => {
        const env = (await clients.eb.send(new DescribeEnvironmentsCommand({ EnvironmentNames: ['trendfinder'], IncludeDeleted: false }))).Environments?.[0];
        return env?.Status === 'Ready' && env.Health === 'Green';
      });
    } finally {
      clients.destroy();
      await rm(work, { recursive: true, force: true });
    }
  },
  writeConfig: (sim, demoDir, opts) => writeExampleConfig('trendfinder', sim, demoDir, opts),
  releaseInput: { stages: ['compile', 'sync', 'restart'] },
  async verify(sim, configPath) {
    const config = await loadConfig(configPath);
    const bucket = await checkBucketMatches(sim, config, false);
    const { env, status } = await servedEnvironment(sim, config);
    const restarts = await restartsCompleted(sim, config.aws?.region ?? 'us-east-1');
    if (env.Status !== 'Ready' || env.Health !== 'Green' || status !== 200 || restarts < 1) {
      throw new Error(`trendfinder is ${env.Status ?? '?'}/${env.Health ?? '?'} after ${restarts} restarts, its page answered ${status}: expected Ready, Green, at least one restart, 200`);
    }
    return [bucket, `trendfinder: app servers restarted ${restarts} time(s) (RestartAppServer events), ${env.Status}, ${env.Health}, still on ${env.VersionLabel ?? '?'}; GET ${config.beanstalk?.smokePath ?? '/'} answered ${status}`];
  },
};
