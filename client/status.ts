import { InputError } from '../config/errors.js';
import { workflowUiLink } from '../worker/settings.js';
import { parseCli, runMain } from './args.js';
import { connect } from './connect.js';
import { describeWorkflow } from './describe-workflow.js';
import { followWorkflow } from './follow.js';
import { printOutcome } from './print-outcome.js';
import { formatStatusLine, readStatus } from './progress-view.js';

const USAGE = 'npm run status -- <workflowId> [--wait] [--json]';

async function main(): Promise<number> {
  const { values, positionals } = parseCli(
    process.argv.slice(2),
    { wait: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
    USAGE,
  );
  const [workflowId, ...extra] = positionals;
  if (!workflowId || extra.length) throw new InputError('InvalidArgument', 'workflowId', `name one workflow id. Usage: ${USAGE}`);
  const { client, settings, close } = await connect();
  try {
    const handle = client.workflow.getHandle(workflowId);
    const description = await describeWorkflow(handle, settings.namespace);
    if (values.wait) return printOutcome(await followWorkflow(client, handle, { json: values.json }), values.json);

    const status = await readStatus(handle, client);
    const workflowStatus = description.status.name;
    if (values.json) {
      console.log(JSON.stringify({ workflowId, workflowType: description.type, workflowStatus, ...(status ?? { stage: workflowStatus.toLowerCase(), step: null, done: null, total: null, elapsedMs: 0, lastLine: null }) }));
    } else {
      console.log(`${workflowId} (${description.type}) ${workflowStatus}`);
      if (status) {
        console.log(`  ${formatStatusLine(status, false)}`);
        if (status.nextAction) console.log(`  next: ${status.nextAction}`);
      } else {
        console.log('  (no worker answered the status query; start one with npm run worker)');
      }
      console.log(`  Temporal UI: ${workflowUiLink(settings, workflowId)}`);
    }
    return 0;
  } finally {
    await close();
  }
}

runMain(main);
