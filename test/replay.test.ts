import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from './helpers/temporal-env.js';

const historiesDir = fileURLToPath(new URL('./replay/histories/', import.meta.url));

// Every committed history must replay against today's workflow code: a change that would break
// runs already in flight (days into a compile) fails here instead of in production.
test('committed workflow histories replay without nondeterminism', async () => {
  const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json')).sort();
  assert.ok(files.length > 0, 'at least one committed history');
  const histories = await Promise.all(
    files.map(async (file) => ({
      // The recorder runs each as `replay-<file name>`; ids matter (child ids derive from them).
      workflowId: `replay-${path.basename(file, '.json')}`,
      history: historyFromJSON(JSON.parse(await readFile(path.join(historiesDir, file), 'utf8'))),
    })),
  );
  const bundle = await workflowBundle();
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
    replayed += 1;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  assert.equal(replayed, files.length);
  assert.deepEqual(failures, []);
});
