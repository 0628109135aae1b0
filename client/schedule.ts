import { ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleSpec } from '@temporalio/client';
import { InputError } from '../config/errors.js';
import { summarizeIssues } from '../config/format-issue.js';
import { loadConfig, type ResolvedConfig } from '../config/load.js';
import { temporalUiUrl } from '../worker/settings.js';
import { parseCli, parseJsonArg, runMain } from './args.js';
import { connect } from './connect.js';
import { isScheduleKind, SCHEDULE_PREFIX, scheduleIdFor, scheduleKinds } from './schedule-kinds.js';
import { upsertSchedule } from './upsert-schedule.js';

const KINDS = Object.keys(scheduleKinds).join('|');
const USAGE = `npm run schedule -- <create|list|delete|trigger> [${KINDS}] [--site NAME | --config FILE] [--every DURATION] [--cron EXPR] [--input JSON] [--json]`;
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

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day-of-week', min: 0, max: 7, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
] as const;

/** Five cron fields, each checked against its range here: the server would refuse "61 * * * *" less clearly, after connecting. */
export function parseCron(value: string): string {
  const trimmed = value.trim();
  const bad = (why: string): InputError =>
    new InputError('InvalidArgument', '--cron', `--cron "${value}" ${why}: use 5 fields (minute hour day-of-month month day-of-week), such as "*/15 * * * *", or @hourly, @daily, @weekly, @monthly.`);
  if (trimmed.startsWith('@')) {
    if (!/^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every \S+)$/.test(trimmed)) throw bad('is not a cron shorthand Temporal knows');
    return trimmed;
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) throw bad(`has ${fields.length} field${fields.length === 1 ? '' : 's'}`);
  fields.forEach((field, i) => {
    const spec = CRON_FIELDS[i] as (typeof CRON_FIELDS)[number];
    const names: readonly string[] = 'names' in spec ? spec.names : [];
    const number = (text: string): number => {
      const named = names.indexOf(text.toUpperCase());
      if (named >= 0) return named + (spec.name === 'month' ? 1 : 0);
      if (!/^\d+$/.test(text)) throw bad(`has "${text}" in the ${spec.name} field`);
      const n = Number(text);
      if (n < spec.min || n > spec.max) throw bad(`has ${n} in the ${spec.name} field, outside ${spec.min}-${spec.max}`);
      return n;
    };
    for (const item of field.split(',')) {
      const [range = '', step, ...rest] = item.split('/');
      if (rest.length || (step !== undefined && !/^[1-9]\d*$/.test(step))) throw bad(`has "${item}" in the ${spec.name} field`);
      if (range === '*') continue;
      const [from = '', to, ...more] = range.split('-');
      if (more.length) throw bad(`has "${item}" in the ${spec.name} field`);
      if (to !== undefined && number(to) < number(from)) throw bad(`has the backwards range "${range}" in the ${spec.name} field`);
      number(from);
    }
  });
  return trimmed;
}

async function main(): Promise<number> {
  const { values, positionals } = parseCli(
    process.argv.slice(2),
    {
      every: { type: 'string' },
      cron: { type: 'string' },
      config: { type: 'string' },
      site: { type: 'string' },
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
  if (action !== 'create' && (values.every || values.cron || values.input)) {
    throw new InputError('InvalidArgument', 'argv', `--every, --cron and --input apply to "create" only. Usage: ${USAGE}`);
  }
  if (action === 'list' && (values.site || values.config)) {
    throw new InputError('InvalidArgument', 'argv', `list shows every site's schedules; --site and --config apply to create, delete and trigger. Usage: ${USAGE}`);
  }

  // Everything a person typed is checked before connecting: bad input never waits on a server.
  if (values.every) parseEvery(values.every);
  if (values.cron) parseCron(values.cron);
  const target = action === 'list' ? undefined : await scheduleTarget(values);
  const created = action === 'create' && target ? checkCreate(kind as keyof typeof scheduleKinds, values, target) : undefined;

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
    const site = (target as ScheduleTarget).site;
    const scheduleId = scheduleIdFor(spec, site);
    const handle = client.schedule.getHandle(scheduleId);
    const link = `${temporalUiUrl(settings)}/namespaces/${encodeURIComponent(settings.namespace)}/schedules/${encodeURIComponent(scheduleId)}`;

    if (action === 'delete' || action === 'trigger') {
      try {
        if (action === 'delete') await handle.delete();
        else await handle.trigger(ScheduleOverlapPolicy.SKIP);
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) {
          throw new InputError('InvalidArgument', 'kind', `no schedule "${scheduleId}" in namespace "${settings.namespace}": create it with npm run schedule -- create ${kind} --site ${site}.`);
        }
        throw err;
      }
      out(action === 'delete' ? `deleted schedule ${scheduleId}` : `triggered schedule ${scheduleId} (skipped if a run is still going)\n  Temporal UI: ${link}`);
      if (values.json) console.log(JSON.stringify({ scheduleId, action }));
      return 0;
    }

    // create (or update, when it exists): the input is what the UI would show for a manual start.
    if (!created) throw new Error('unreachable: create without checked arguments');
    const { rawInput, scheduleSpec, when } = created;
    const verb = await upsertSchedule(client, settings.taskQueue, spec, site, scheduleSpec, rawInput);
    out(`${verb} schedule ${scheduleId}: ${spec.workflowType} ${when} on task queue "${settings.taskQueue}" (overlap: skip)`);
    out(`  Temporal UI: ${link}`);
    if (values.json) console.log(JSON.stringify({ scheduleId, action: verb, workflowType: spec.workflowType, spec: scheduleSpec, input: rawInput }));
    return 0;
  } finally {
    await close();
  }
}

interface ScheduleTarget {
  site: string;
  config: ResolvedConfig | undefined;
}

/**
 * The site a schedule is for: --site, or the site of --config (or RUNBOOK_CONFIG). A schedule
 * stores the site's name, never this machine's path, so any worker serving the site can run it.
 */
async function scheduleTarget(values: { site?: string; config?: string }): Promise<ScheduleTarget> {
  if (values.site && values.config) throw new InputError('InvalidArgument', '--site', 'give --site or --config, not both: the schedule names the site either way.');
  const configFile = values.config ?? (values.site ? undefined : process.env.RUNBOOK_CONFIG);
  const config = configFile ? await loadConfig(configFile) : undefined;
  const site = values.site ?? config?.site;
  if (!site) throw new InputError('InvalidArgument', '--site', `name the site the schedule is for: --site NAME (as in its runbook.config.json) or --config FILE. Usage: ${USAGE}`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(site)) throw new InputError('InvalidArgument', '--site', `--site "${site}" must be lower-case letters, digits and hyphens, such as "contact-tracing".`);
  return { site, config };
}

function checkCreate(
  kind: keyof typeof scheduleKinds,
  values: { every?: string; cron?: string; input?: string },
  target: ScheduleTarget,
): { rawInput: Record<string, unknown>; scheduleSpec: ScheduleSpec; when: string } {
  const spec = scheduleKinds[kind];
  const rawInput = (values.input ? parseJsonArg('--input', values.input) : {}) as Record<string, unknown>;
  if (typeof rawInput !== 'object' || rawInput === null || Array.isArray(rawInput)) {
    throw new InputError('InvalidArgument', '--input', '--input must be a JSON object such as \'{"maxAgeHours": 6}\'.');
  }
  if (rawInput.site !== undefined && rawInput.site !== target.site) {
    throw new InputError('InvalidArgument', '--input', `--input names site "${String(rawInput.site)}" but the schedule is for "${target.site}": drop "site" from --input.`);
  }
  rawInput.site = target.site;
  const parsed = spec.inputSchema.safeParse(rawInput);
  if (!parsed.success) {
    const { field, message } = summarizeIssues(parsed.error, `${spec.workflowType} input`);
    throw new InputError('InvalidInput', field, message);
  }
  const every = values.every ?? spec.defaultEvery(target.config);
  const scheduleSpec: ScheduleSpec = values.cron ? { cronExpressions: [parseCron(values.cron)] } : { intervals: [{ every: parseEvery(every) }] };
  const when = values.cron ? `cron "${values.cron}"` : `every ${every}`;
  return { rawInput, scheduleSpec, when };
}

runMain(main);
