import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from './workflow-bundle.js';

// The second half of `npm run build` (after tsc): the workflow code bundled once, here, rather
// than by webpack at every start of the production worker, with the same modules the worker
// that bundles at start registers. Usage: node --import tsx worker/build-workflow-bundle.ts [OUT]
const out = path.resolve(process.argv[2] ?? fileURLToPath(new URL('../dist/workflow-bundle.js', import.meta.url)));
const { code } = await bundleWorkflowCode(workflowBundleOptions);
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, code);
console.log(`workflow bundle written to ${out} (${Math.round(code.length / 1024)} KiB)`);
