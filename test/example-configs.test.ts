import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { readFile } from 'node:fs/promises';
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
