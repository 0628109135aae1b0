import assert from 'node:assert/strict';
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
