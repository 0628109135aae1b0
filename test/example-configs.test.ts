import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config/load.js';
import { repoRoot } from './helpers/sample-site.js';

// The configs the README points people at must load as they are.
test('the example configs (sample site, ContactTracing) are valid', async () => {
  const sample = await loadConfig(path.join(repoRoot, 'examples', 'sample-site', 'runbook.config.json'));
  assert.equal(sample.site, 'sample-site');
  assert.ok(sample.transfer && sample.image && sample.beanstalk && sample.data, 'every stage is configured');
  const ct = await loadConfig(path.join(repoRoot, 'examples', 'contact-tracing', 'runbook.config.json'));
  assert.equal(ct.site, 'contact-tracing');
  assert.equal(ct.transfer?.efsFileSystem, 'contacttracing_site_fs');
  assert.equal(ct.aws?.endpoint, undefined, 'the real site talks to real AWS');
  assert.equal(ct.aws?.region, 'us-east-2', 'the ContactTracing site runs in us-east-2');
  assert.deepEqual(ct.compile.steps[0]?.command, ['python', 'viz/data.py']);
});

test('the HTAN dashboard example config is valid: an S3 website target with its smoke page, a private ECR pipeline image, no Beanstalk', async () => {
  const htan = await loadConfig(path.join(repoRoot, 'examples', 'htan-dashboard', 'runbook.config.json'));
  assert.equal(htan.site, 'htan-dashboard');
  assert.equal(htan.beanstalk, undefined);
  assert.equal(htan.transfer, undefined);
  assert.deepEqual(htan.data?.target, { kind: 's3', bucket: 'htan-dashboard-site', prefix: 'dashboard', website: true, multipartThresholdMb: 16, partSizeMb: 8, heartbeatTimeoutSeconds: 60, retryInitialSeconds: 5, maxAttempts: 10 });
  assert.equal(htan.website?.smokePath, '/dashboard/index.html');
  assert.match(htan.image?.repository ?? '', /^\d{12}\.dkr\.ecr\.us-east-1\.amazonaws\.com\/htan-pipeline$/);
  assert.equal(htan.aws?.endpoint, undefined, 'the real site talks to real AWS');
  assert.deepEqual(htan.compile.steps[0]?.env?.SYNAPSE_AUTH_TOKEN, { secret: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:htan/synapse-auth-token' });

  // A website section needs an S3 website target, and its smoke page a path: one sentence each, naming the field.
  const bad = async (edit: (config: Record<string, unknown>) => void): Promise<string> => {
    const raw = JSON.parse(await readFile(path.join(repoRoot, 'examples', 'htan-dashboard', 'runbook.config.json'), 'utf8')) as Record<string, unknown>;
    edit(raw);
    const dir = await mkdtemp(path.join(tmpdir(), 'htan-config-'));
    await writeFile(path.join(dir, 'runbook.config.json'), JSON.stringify(raw));
    try {
      await loadConfig(path.join(dir, 'runbook.config.json'));
      return 'loaded';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  assert.match(await bad((c) => ((c.data as { target: Record<string, unknown> }).target.website = false)), /website.*data\.target must be \{"kind": "s3".*"website": true\}/);
  assert.match(await bad((c) => (c.website = {})), /website\.smokePath.*must name the page/);
  assert.match(await bad((c) => (c.website = { smokePath: 'dashboard/index.html' })), /website\.smokePath.*must start with "\/"/);
});
