import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import { InputError } from '../config/errors.js';
import { summarizeIssues } from '../config/format-issue.js';
import { loadConfig } from '../config/load.js';
import { workflowUiLink } from '../worker/settings.js';
import { parseCli, parseJsonArg, runMain } from './args.js';
import { connect } from './connect.js';
import { defaultDecider } from './deploy-decision.js';
import { followWorkflow } from './follow.js';
import { printOutcome } from './print-outcome.js';
import { isWorkflowKind, workflowKinds } from './workflow-kinds.js';

const USAGE = `npm run start-workflow -- <${Object.keys(workflowKinds).join('|')}> [--config FILE] [--input JSON] [--id ID] [--auto-approve] [--dry-run] [--wait] [--json]`;

async function main(): Promise<number> {
  const { values, positionals } = parseCli(
    process.argv.slice(2),
    {
      config: { type: 'string' },
      input: { type: 'string' },
      id: { type: 'string' },
      wait: { type: 'boolean', default: false },
      'auto-approve': { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  const [kind, ...extra] = positionals;
  if (!kind || extra.length > 0) throw new InputError('InvalidArgument', 'kind', `name exactly one workflow to start. Usage: ${USAGE}`);
  if (!isWorkflowKind(kind)) {
    throw new InputError('InvalidArgument', 'kind', `unknown workflow "${kind}": use one of ${Object.keys(workflowKinds).join(', ')}.`);
  }
  const { workflowType, inputSchema } = workflowKinds[kind];

  // The input exactly as it would be typed into the Temporal UI, checked here to fail fast.
  const rawInput = (values.input ? parseJsonArg('--input', values.input) : {}) as Record<string, unknown>;
  if (typeof rawInput !== 'object' || rawInput === null || Array.isArray(rawInput)) {
    throw new InputError('InvalidArgument', '--input', '--input must be a JSON object such as \'{"site":"sample-site"}\'.');
  }
  const configFile = values.config ?? process.env.RUNBOOK_CONFIG;
  if (values.config) rawInput.configPath = path.resolve(values.config);
  if (values['auto-approve']) {
    // Only workflows with an approval gate take it; the schema below would call it an unknown key.
    if (!('autoApprove' in inputSchema.shape)) {
      throw new InputError('InvalidArgument', '--auto-approve', `--auto-approve applies to workflows with an approval step (deploy, release), not ${kind}: drop it.`);
    }
    rawInput.autoApprove = true;
  }
  // The release tells its channels who started it; from the UI a person types it in.
  if ('requestedBy' in inputSchema.shape && rawInput.requestedBy === undefined) rawInput.requestedBy = defaultDecider();
  if (values['dry-run']) {
    if (!('dryRun' in inputSchema.shape)) {
      throw new InputError('InvalidArgument', '--dry-run', `--dry-run applies to sync, janitor and release, not ${kind}: drop it.`);
    }
    rawInput.dryRun = true;
  }
  const parsed = inputSchema.safeParse(rawInput);
  if (!parsed.success) {
    const { field, message } = summarizeIssues(parsed.error, `${workflowType} input`);
    throw new InputError('InvalidInput', field, message);
  }
  // The worker validates the config again; checking it here spares a round trip for a typo.
  let site = typeof rawInput.site === 'string' ? rawInput.site : undefined;
  if (configFile) site ??= (await loadConfig(configFile)).site;

  const { client, settings, close } = await connect();
  try {
    // One release per site at a time: its fixed id makes the server refuse a second while one runs.
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    const workflowId = values.id ?? (kind === 'release' ? `release-${site ?? 'default'}` : `${kind}-${site ?? 'default'}-${stamp}`);
    let handle;
    try {
      handle = await client.workflow.start(workflowType, {
        taskQueue: settings.taskQueue,
        workflowId,
        args: [rawInput],
        // Ids are names people reuse (a weekly release, `--id compile-weekly`): every run keeps its
        // own state, so a closed id may start again; a running one may not.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new Error(`${workflowId} is already running: follow it with npm run status -- ${workflowId} --wait, or cancel it before starting another.`, { cause: err });
      }
      throw err;
    }
    const link = workflowUiLink(settings, workflowId);
    const info = values.json ? console.error : console.log;
    info(`started ${workflowType} ${workflowId}`);
    info(`  Temporal UI: ${link}`);
    if (!values.wait) {
      info(`  follow it: npm run status -- ${workflowId} --wait`);
      if (values.json) console.log(JSON.stringify({ workflowId, runId: handle.firstExecutionRunId, status: 'RUNNING', link }));
      return 0;
    }
    const outcome = await followWorkflow(client, handle, { json: values.json });
    return printOutcome(outcome, values.json);
  } finally {
    await close();
  }
}

runMain(main);
