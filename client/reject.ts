import { InputError } from '../config/errors.js';
import { parseCli, runMain } from './args.js';
import { defaultDecider, sendDeployDecision } from './deploy-decision.js';

const USAGE = 'npm run reject -- <workflowId> --reason TEXT [--by NAME]';

async function main(): Promise<number> {
  const { values, positionals } = parseCli(process.argv.slice(2), { by: { type: 'string' }, reason: { type: 'string' } }, USAGE);
  const [workflowId, ...extra] = positionals;
  if (!workflowId || extra.length > 0) throw new InputError('InvalidArgument', 'workflowId', `name exactly one workflow id. Usage: ${USAGE}`);
  const reason = values.reason?.trim();
  if (!reason) throw new InputError('InvalidArgument', '--reason', `--reason is required: say why, it is kept in the run's result. Usage: ${USAGE}`);
  const by = (values.by ?? defaultDecider()).trim();
  if (!by) throw new InputError('InvalidArgument', '--by', `--by must name who rejects. Usage: ${USAGE}`);
  return sendDeployDecision(workflowId, { kind: 'reject', payload: { by, reason } });
}

runMain(main);
