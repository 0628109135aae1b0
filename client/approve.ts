import { InputError } from '../config/errors.js';
import { parseCli, runMain } from './args.js';
import { defaultDecider, sendDeployDecision } from './deploy-decision.js';

const USAGE = 'npm run approve -- <workflowId> [--by NAME] [--note TEXT]';

async function main(): Promise<number> {
  const { values, positionals } = parseCli(process.argv.slice(2), { by: { type: 'string' }, note: { type: 'string' } }, USAGE);
  const [workflowId, ...extra] = positionals;
  if (!workflowId || extra.length > 0) throw new InputError('InvalidArgument', 'workflowId', `name exactly one workflow id. Usage: ${USAGE}`);
  const by = (values.by ?? defaultDecider()).trim();
  if (!by) throw new InputError('InvalidArgument', '--by', `--by must name who approves. Usage: ${USAGE}`);
  return sendDeployDecision(workflowId, { kind: 'approve', payload: { by, ...(values.note ? { note: values.note } : {}) } });
}

runMain(main);
