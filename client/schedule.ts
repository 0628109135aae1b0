import path from 'node:path';
import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';
import { InputError } from '../config/errors.js';
import { summarizeIssues } from '../config/format-issue.js';
import { loadConfig, type ResolvedConfig } from '../config/load.js';
import { temporalUiUrl } from '../worker/settings.js';
import { parseCli, parseJsonArg, runMain } from './args.js';
import { connect } from './connect.js';
import { isScheduleKind, SCHEDULE_PREFIX, scheduleKinds } from './schedule-kinds.js';
import { upsertSchedule } from './upsert-schedule.js';

const KINDS = Object.keys(scheduleKinds).join('|');
const USAGE = `npm run schedule -- <create|list|delete|trigger> [${KINDS}] [--every DURATION] [--cron EXPR] [--config FILE] [--input JSON] [--json]`;
const ACTIONS = ['create', 'list', 'delete', 'trigger'] as const;
type Action = (typeof ACTIONS)[number];

/** "90s", "15m", "2h", "1d": what Temporal's interval accepts, checked here with a clear message. */
export function parseEvery(value: string): string {
  const m = /^(\d+)(s|m|h|d)$/.exec(value.trim());
  if (!m || Number(m[1]) === 0) {
    throw new InputError('InvalidArgument', '--every', `--every "${value}" must be a whole number with a unit s, m, h or d, such as "15m" or "1h".`);
  }
  return `${m[1]}${m[2]}`;
}

function parseCron(value: string): string {
  const fields = value.trim().split(/\s+/);
  if (!value.trim().startsWith('@') && (fields.length < 5 || fields.length > 7)) {
    throw new InputError('InvalidArgument', '--cron', `--cron "${value}" must have 5 fields (minute hour day-of-month month day-of-week), such as "*/15 * * * *".`);
  }
  return value.trim();
}

async function main(): Promise<number> {
  const { values, positionals } = parseCli(
    process.argv.slice(2),
    {
      every: { type: 'string' },
      cron: { type: 'string' },
      config: { type: 'string' },
      input: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    USAGE,
  );
  const [action, kind, ...extra] = positionals;
  if (!action || !(ACTIONS as readonly string[]).includes(action) || extra.length > 0) {
    throw new InputError('InvalidArgument', 'action', `name an action and a schedule. Usage: ${USAGE}`);
  }
  if (action !== 'list' && (!kind || !isScheduleKind(kind))) {
    throw new InputError('InvalidArgument', 'kind', `${kind ? `unknown schedule "${kind}"` : 'name the schedule'}: use one of ${Object.keys(scheduleKinds).join(', ')}. Usage: ${USAGE}`);
  }
  if (values.every && values.cron) throw new InputError('InvalidArgument', '--every', 'give --every or --cron, not both.');
  if (action !== 'create' && (values.every || values.cron || values.input || values.config)) {
    throw new InputError('InvalidArgument', 'argv', `--every, --cron, --config and --input apply to "create" only. Usage: ${USAGE}`);
  }

  const { client, settings, close } = await connect();
  const out = (line: string): void => {
    if (!values.json) console.log(line);
  };
  try {
    if ((action as Action) === 'list') {
      const rows = [];
      for await (const s of client.schedule.list()) {
        if (!s.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
        const action0 = s.action as { workflowType?: string } | undefined;
        rows.push({
          scheduleId: s.scheduleId,
          workflowType: action0?.workflowType ?? null,
          paused: s.state.paused,
          nextRuns: s.info.nextActionTimes.slice(0, 3).map((d) => d.toISOString()),
          recentRuns: s.info.recentActions.slice(-3).map((a) => ({ at: a.takenAt.toISOString(), workflowId: a.action.workflow.workflowId })),
        });
      }
      if (values.json) console.log(JSON.stringify(rows));
      else if (rows.length === 0) out('no runbook schedules; create one with: npm run schedule -- create janitor');
      else for (const r of rows) out(`${r.scheduleId}  ${r.workflowType ?? '?'}${r.paused ? '  (paused)' : ''}  next: ${r.nextRuns[0] ?? '-'}  last: ${r.recentRuns.at(-1)?.at ?? 'never'}`);
      return 0;
    }

    const spec = scheduleKinds[kind as keyof typeof scheduleKinds];
    const handle = client.schedule.getHandle(spec.scheduleId);
    const link = `${temporalUiUrl(settings)}/namespaces/${encodeURIComponent(settings.namespace)}/schedules/${encodeURIComponent(spec.scheduleId)}`;

    if (action === 'delete' || action === 'trigger') {
      try {
        if (action === 'delete') await handle.delete();
        else await handle.trigger(ScheduleOverlapPolicy.SKIP);
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) {
          throw new InputError('InvalidArgument', 'kind', `no schedule "${spec.scheduleId}" in namespace "${settings.namespace}": create it with npm run schedule -- create ${kind}.`);
        }
        throw err;
      }
      out(action === 'delete' ? `deleted schedule ${spec.scheduleId}` : `triggered schedule ${spec.scheduleId} (skipped if a run is still going)\n  Temporal UI: ${link}`);
      if (values.json) console.log(JSON.stringify({ scheduleId: spec.scheduleId, action }));
      return 0;
    }

    // create (or update, when it exists): the input is what the UI would show for a manual start.
    const rawInput = (values.input ? parseJsonArg('--input', values.input) : {}) as Record<string, unknown>;
    if (typeof rawInput !== 'object' || rawInput === null || Array.isArray(rawInput)) {
      throw new InputError('InvalidArgument', '--input', '--input must be a JSON object such as \'{"maxAgeHours": 6}\'.');
    }
    let config: ResolvedConfig | undefined;
    const configFile = values.config ?? process.env.RUNBOOK_CONFIG;
    if (configFile) config = await loadConfig(configFile);
    if (values.config) rawInput.configPath = path.resolve(values.config);
    const parsed = spec.inputSchema.safeParse(rawInput);
    if (!parsed.success) {
      const { field, message } = summarizeIssues(parsed.error, `${spec.workflowType} input`);
      throw new InputError('InvalidInput', field, message);
    }
    const scheduleSpec: ScheduleSpec = values.cron
      ? { cronExpressions: [parseCron(values.cron)] }
      : { intervals: [{ every: parseEvery(values.every ?? spec.defaultEvery(config)) }] };
    const verb = await upsertSchedule(client, settings.taskQueue, spec, scheduleSpec, rawInput);
    const when = values.cron ? `cron "${values.cron}"` : `every ${values.every ?? spec.defaultEvery(config)}`;
    out(`${verb} schedule ${spec.scheduleId}: ${spec.workflowType} ${when} on task queue "${settings.taskQueue}" (overlap: skip)`);
    out(`  Temporal UI: ${link}`);
    if (values.json) console.log(JSON.stringify({ scheduleId: spec.scheduleId, action: verb, workflowType: spec.workflowType, spec: scheduleSpec, input: rawInput }));
    return 0;
  } finally {
    await close();
  }
}

runMain(main);
