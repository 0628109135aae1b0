import assert from 'node:assert/strict';
import { disturbedRelease, scenario, useMatrixRig } from './harness.js';

// Flaky networks for a whole release: one AWS call in five refused (throttled or 5xx), or every
// SFTP connection cut after a few MB.

const rig = useMatrixRig('faults-storm', 1);

scenario('AWS fault storm: 20% of all sim calls throttled or 5xx for a whole release', { trimmed: true }, async () => {
  let fired = 0;
  const outcome = await disturbedRelease(
    rig(),
    'storm',
    {},
    async (release) => {
      await release.handle.result();
      fired = (await rig().fx.control.faults()).reduce((n, f) => n + f.fired, 0);
      assert.ok(fired >= 5, `the storm hit the release (${fired} calls refused)`);
      return `${fired} AWS calls refused (ThrottlingException 400 or ServiceUnavailable 503), all absorbed by SDK and activity retries`;
    },
    {},
    [
      // Two independent 10-11% faults: a call is refused with probability 1 - 0.9 × 0.89 ≈ 20%.
      { service: '*', errorCode: 'ThrottlingException', rate: 0.1, seed: 20 },
      { service: '*', errorCode: 'ServiceUnavailable', httpStatus: 503, rate: 0.11, seed: 7 },
    ],
  );
  return outcome;
});

scenario('SFTP connections dropped every 12 MB', { trimmed: true }, async () => {
  let cuts = 0;
  return disturbedRelease(
    rig(),
    'sftp-drops',
    { bulk: { files: 20, bytes: 2_000_000 }, edit: (config) => ((config.transfer as Record<string, unknown>).maxAttempts = 8) },
    async (release) => {
      const result = await release.handle.result();
      cuts = (await rig().fx.control.faults())[0]?.fired ?? 0;
      assert.ok(cuts >= 3, `the connection was cut ${cuts} times`);
      return `${cuts} connections cut (upload and read-back); the upload ended in attempt ${result.sync?.uploadAttempt ?? '?'}`;
    },
    // Every cut may leave up to `parallelism` files half-sent; the bound is checked after the run.
    { get uploadCuts() { return cuts; } },
    [{ service: 'sftp', dropAfterBytes: 12_000_000 }],
  );
});
