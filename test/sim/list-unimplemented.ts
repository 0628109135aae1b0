import { services } from '../../sim/services/index.js';
import { botocoreDataDir } from '../helpers/python-tools.js';
import { loadModel } from '../helpers/botocore-model.js';

// Prints the "Operations not implemented" lines of docs/SIM.md from botocore's models; the
// conformance test fails when the doc falls behind.

const implemented: [string, string, string[]][] = [
  ...services.json.map((s) => [s.name, s.name, Object.keys(s.handlers)] as [string, string, string[]]),
  ...services.query.map((s) => [s.name, s.name, Object.keys(s.handlers)] as [string, string, string[]]),
  ...services.rest.map((s) => [s.name, s.name, s.operations] as [string, string, string[]]),
];

const dataDir = botocoreDataDir();
for (const [service, modelDir, ops] of implemented) {
  const model = loadModel(dataDir, modelDir);
  const all = Object.keys(model.operations);
  const absent = all.filter((op) => !ops.includes(op)).sort();
  console.log(`- **${service}** (${ops.length} of ${all.length} implemented): ${absent.join(', ')}.`);
}
