import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { InputError } from '../config/errors.js';
import { loadConfig, parseConfig } from '../config/load.js';
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

// The Python-platform sites: data to an S3 prefix, the app as its own files, no image.
test('the example configs of cellxgene and TrendFinder are valid: S3 data, a Python app bundle, no image', async () => {
  const cxg = await loadConfig(path.join(repoRoot, 'examples', 'cellxgene', 'runbook.config.json'));
  assert.equal(cxg.site, 'cellxgene');
  assert.equal(cxg.aws?.endpoint, undefined, 'the real site talks to real AWS');
  assert.equal(cxg.image, undefined);
  assert.equal(cxg.transfer, undefined);
  assert.deepEqual(cxg.data?.target, { ...cxg.data?.target, kind: 's3', bucket: 'cellxgene-site-data', prefix: 'cxg' });
  assert.match(cxg.beanstalk?.platform ?? '', /running Python 3\.11$/);
  assert.equal(cxg.beanstalk?.instanceType, 'm5.large');
  assert.deepEqual(cxg.beanstalk?.bundle, ['.']);
  assert.equal(cxg.beanstalk?.envVars.CXG_DATAROOT, 's3://cellxgene-site-data/cxg');
  assert.deepEqual(cxg.beanstalk?.envVars.FLASK_SECRET_KEY, { secret: 'cellxgene/flask-secret-key' }, 'the flask secret is a Secrets Manager reference');

  const tf = await loadConfig(path.join(repoRoot, 'examples', 'trendfinder', 'runbook.config.json'));
  assert.equal(tf.site, 'trendfinder');
  assert.equal(tf.aws?.endpoint, undefined);
  assert.equal(tf.image, undefined);
  assert.equal(tf.beanstalk?.environment, 'trendfinder', 'restart-app-server --environment-name trendfinder');
  assert.deepEqual(tf.data?.target, { ...tf.data?.target, kind: 's3', bucket: 'trendfinder-data', prefix: 'trends' });
  assert.equal(tf.data?.deleteExtraneous, false, 'earlier weeks stay in the bucket');
  assert.deepEqual(tf.compile.steps[0]?.command, ['python3', 'pipeline/trends.py']);
});

test('a Python-platform config with the Docker bundle list or an image section is refused, naming the field', async () => {
  const raw = JSON.parse(await readFile(path.join(repoRoot, 'examples', 'cellxgene', 'runbook.config.json'), 'utf8')) as { beanstalk: Record<string, unknown>; image?: unknown };
  const at = path.join(repoRoot, 'examples', 'cellxgene', 'runbook.config.json');
  const dockerList = structuredClone(raw);
  delete dockerList.beanstalk.bundle;
  assert.throws(() => parseConfig(dockerList, at), (err: InputError) => err.field === 'beanstalk.bundle' && /lists only the Docker platform's files .* running Python 3\.11/.test(err.message));
  const withImage = structuredClone(raw);
  withImage.image = { name: 'cellxgene', repository: 'public.ecr.aws/abc/cellxgene' };
  assert.throws(() => parseConfig(withImage, at), (err: InputError) => err.field === 'image' && /is for the Docker platform/.test(err.message));
});
