import assert from 'node:assert/strict';
import type { Deployed, DeployResult } from '../../workflows/deploy-result.js';

/** The deploy result, asserted to be a deploy that went live (the union narrowed for the test). */
export function deployedResult(result: DeployResult | null | undefined): Deployed {
  assert.equal(result?.outcome, 'deployed', `expected a deploy that went live, got ${JSON.stringify(result)}`);
  return result as Deployed;
}
