import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createActivities } from '../activities/index.js';
import type { AwsClientFactory } from '../activities/aws/clients.js';
import { hostBoundActivities, hostFreeActivities } from '../workflows/host-affinity.js';

// A new activity that reads the site's files but is left off hostBoundActivities runs on
// whichever host answers (a stale tree, a stale record): every activity must be placed on
// purpose, in exactly one of the two sets.
test('every registered activity is either host-bound or host-free, never both or neither', () => {
  // The factory only binds clients lazily: nothing here calls AWS.
  const names = Object.keys(createActivities({ aws: {} as AwsClientFactory, hostId: 'guard' })).sort();
  const unplaced = names.filter((n) => !hostBoundActivities.has(n) && !hostFreeActivities.has(n));
  const both = names.filter((n) => hostBoundActivities.has(n) && hostFreeActivities.has(n));
  assert.deepEqual(unplaced, [], 'add each to hostBoundActivities (touches the site dir, state dir or docker engine) or hostFreeActivities in workflows/host-affinity.ts');
  assert.deepEqual(both, []);
  // And no stale names: a renamed activity would silently lose its pin.
  const registered = new Set(names);
  assert.deepEqual([...hostBoundActivities, ...hostFreeActivities].filter((n) => !registered.has(n)), []);
});
