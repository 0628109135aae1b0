import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BundleOptions } from '@temporalio/worker';

/** The workflow sources: beside the .ts files only (dev, tests); dist/ has the bundle instead. */
export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** Workflow interceptors every bundle must carry: host affinity of the data work. */
export const workflowInterceptorModules = [fileURLToPath(new URL('../workflows/host-affinity.ts', import.meta.url))];

/**
 * What a workflow bundle is made of, for the worker that bundles at start and `npm run build`
 * alike: a prebuilt bundle ignores the worker's interceptor option, so they must go in here.
 */
export const workflowBundleOptions = { workflowsPath, workflowInterceptorModules } satisfies BundleOptions;

// True when this module runs as dist/worker/*.js (npm run build), false under tsx.
const compiled = import.meta.url.endsWith('.js');

/**
 * The prebuilt bundle this worker loads, or undefined to bundle the sources at start (dev and
 * tests). `RUNBOOK_WORKFLOW_BUNDLE` names one; the compiled worker defaults to the
 * dist/workflow-bundle.js that `npm run build` wrote beside it, as it has no sources to bundle.
 * A missing bundle stops the worker: production never falls back to bundling at start.
 */
export async function prebuiltWorkflowBundle(env: NodeJS.ProcessEnv = process.env): Promise<{ codePath: string } | undefined> {
  const given = env.RUNBOOK_WORKFLOW_BUNDLE?.trim();
  const codePath = given ? path.resolve(given) : compiled ? fileURLToPath(new URL('../workflow-bundle.js', import.meta.url)) : undefined;
  if (codePath === undefined) return undefined;
  try {
    await access(codePath);
  } catch {
    throw new Error(`No workflow bundle at ${codePath}${given ? ' (RUNBOOK_WORKFLOW_BUNDLE)' : ''}: run \`npm run build\`, which writes dist/workflow-bundle.js.`);
  }
  return { codePath };
}
