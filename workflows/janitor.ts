import { ApplicationFailure, defineQuery, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities as Acts } from '../activities/index.js';
import type { RunbookServer } from '../activities/sync/janitor.js';
import { awsCall, teardownOptions } from './activity-options.js';
import { parseInput } from './inputs.js';
import { asOfNow, startingView, type StatusView } from './status-view.js';
import { createNotifier } from './notifier.js';
import { janitorInputSchema, type JanitorInput } from './sync-input.js';
import { Patches } from './patches.js';
import { innermostMessage } from './failure-message.js';

/** Listing every server can take a while on a busy account: a longer timeout than a single call. */
const quickActivity = { ...awsCall, startToCloseTimeout: '5 minutes' } as const;
const teardownActivity = teardownOptions(20);

const { loadSiteConfig, inspectRunbookServers } = proxyActivities<Acts>(quickActivity);
const { teardownSftpServer } = proxyActivities<Acts>(teardownActivity);

export type JanitorReason = 'owner-closed' | 'owner-not-found' | 'too-old';

const janitorReasons: Record<JanitorReason | 'owner-running', string> = {
  'owner-closed': 'the workflow that made it has ended without deleting it',
  'owner-not-found': 'no workflow run it names exists',
  'too-old': 'it outlived transfer.maxServerHours',
  'owner-running': 'kept: its workflow still runs',
};

export interface JanitorEntry {
  serverId: string;
  workflowId: string | null;
  site: string | null;
  state: string;
  ageHours: number | null;
  ownerStatus: string | null;
  reason: JanitorReason | 'owner-running';
}

export interface JanitorReport {
  checked: number;
  deleted: JanitorEntry[];
  kept: JanitorEntry[];
  /** Deletions that failed; the next scheduled run tries again. */
  failed: (JanitorEntry & { error: string })[];
  maxAgeHours: number;
  dryRun: boolean;
}

export interface JanitorStatus extends StatusView<'starting' | 'inspecting' | 'deleting' | 'completed' | 'failed'> {
  workflow: 'janitor';
}

export const janitorStatusQuery = defineQuery<JanitorStatus>('status');

/** Why a server should go, or undefined to keep it. Unknown owner state keeps a young server. */
export function janitorVerdict(server: RunbookServer, maxAgeHours: number): JanitorReason | undefined {
  if (server.ageHours !== null && server.ageHours > maxAgeHours) return 'too-old';
  if (server.owner === 'closed') return 'owner-closed';
  if (server.owner === 'not-found') return 'owner-not-found';
  return undefined;
}

/**
 * Run on a Temporal Schedule: deletes every runbook-tagged Transfer server whose owning workflow
 * run is closed or unknown to Temporal, or that outlived the maximum lifetime. A sync deletes
 * its own server; this catches what a terminated workflow or a lost teardown left billing.
 */
export async function sftpJanitorWorkflow(rawInput: JanitorInput = {}): Promise<JanitorReport> {
  const input = parseInput(janitorInputSchema, rawInput, 'sftpJanitorWorkflow');
  const startedAt = Date.now();
  const status: JanitorStatus = {
    ...startingView(startedAt, 'wait: listing runbook-tagged Transfer servers'),
    workflow: 'janitor',
    stage: 'starting',
  };
  setHandler(janitorStatusQuery, () => asOfNow(status, startedAt));

  // The janitor stops billing: a broken secret reference elsewhere in the config must not stop it.
  let config: SiteConfigView;
  try {
    config = await loadSiteConfig({ configPath: input.configPath, site: input.site, checkReferences: false });
  } catch (err) {
    // No config, so no channels to tell: the status and the failed run say it.
    markFailed(status, innermostMessage(err));
    throw err;
  }
  if (!config.aws) {
    markFailed(status, `Config file ${config.configPath} has no "aws" section.`);
    throw ApplicationFailure.create({
      type: 'InvalidConfig',
      message: `Config file ${config.configPath} has no "aws" section: add one such as {"region": "us-east-1"} so the janitor knows where to look.`,
      nonRetryable: true,
      details: [{ field: 'aws' }],
    });
  }
  const target = { region: config.aws.region, endpoint: config.aws.endpoint, sftpEndpoint: config.aws.sftpEndpoint };
  const maxAgeHours = input.maxAgeHours ?? config.transfer?.maxServerHours ?? 6;
  const dryRun = input.dryRun ?? false;
  const report: JanitorReport = { checked: 0, deleted: [], kept: [], failed: [], maxAgeHours, dryRun };
  try {
    await sweep(config, target, report, status);
  } catch (err) {
    // A failing run is told once, like a deletion: nobody watches a schedule's runs.
    const cause = innermostMessage(err);
    if (status.stage !== 'failed') markFailed(status, cause);
    const notifier = createNotifier(config, Patches.janitorFailureNotice);
    if (notifier) {
      notifier.emit('janitor-failed', { kind: 'janitor-failed', site: config.site, workflowId: workflowInfo().workflowId, serverIds: report.failed.map((f) => f.serverId), cause });
      await notifier.settle();
    }
    throw err;
  }
  status.stage = 'completed';
  status.nextAction = 'none';
  return report;
}

type SiteConfigView = Awaited<ReturnType<Acts['loadSiteConfig']>>;

/** Lists the site's runbook servers and deletes those whose owner is gone or that are too old, into `report`. */
async function sweep(config: SiteConfigView, target: { region: string; endpoint?: string; sftpEndpoint?: string }, report: JanitorReport, status: JanitorStatus): Promise<void> {
  status.stage = 'inspecting';
  // Each site's schedule looks after its own servers: another site's may run longer by its own config.
  const servers = (await inspectRunbookServers({ target })).filter((s) => s.site === null || s.site === config.site);
  report.checked = servers.length;
  const { maxAgeHours, dryRun } = report;
  const doomed: JanitorEntry[] = [];
  for (const server of servers) {
    const verdict = janitorVerdict(server, maxAgeHours);
    const entry: JanitorEntry = {
      serverId: server.serverId,
      workflowId: server.workflowId,
      site: server.site,
      state: server.state,
      ageHours: server.ageHours === null ? null : Math.round(server.ageHours * 1000) / 1000,
      ownerStatus: server.ownerStatus,
      reason: verdict ?? 'owner-running',
    };
    (verdict ? doomed : report.kept).push(entry);
  }

  status.stage = 'deleting';
  status.total = doomed.length;
  status.done = 0;
  for (const entry of doomed) {
    status.lastLine = `deleting ${entry.serverId} (${entry.reason})`;
    if (dryRun) {
      report.deleted.push(entry);
      continue;
    }
    try {
      await teardownSftpServer({ target, serverId: entry.serverId, userName: config.transfer?.userName, pollSeconds: config.transfer?.pollSeconds ?? 5 });
      log.warn('janitor deleted an SFTP server', { serverId: entry.serverId, reason: entry.reason, ownerWorkflowId: entry.workflowId });
      report.deleted.push(entry);
    } catch (err) {
      report.failed.push({ ...entry, error: innermostMessage(err) });
    }
    status.done += 1;
  }
  // Only when something was deleted: an idle janitor run records no notification commands.
  const notifier = !dryRun && report.deleted.length ? createNotifier(config, Patches.janitorNotifications) : undefined;
  if (notifier) {
    const hourlyRate = config.transfer?.hourlyRate ?? 0.3;
    for (const entry of report.deleted) {
      notifier.emit(`reaped:${entry.serverId}`, {
        kind: 'transfer-server-reaped',
        site: entry.site ?? config.site,
        workflowId: workflowInfo().workflowId,
        serverId: entry.serverId,
        ownerWorkflowId: entry.workflowId,
        reason: janitorReasons[entry.reason],
        ageHours: entry.ageHours,
        costSoFar: entry.ageHours === null ? null : Math.round(entry.ageHours * hourlyRate * 100) / 100,
      });
    }
    await notifier.settle();
  }
  if (report.failed.length > 0) {
    // A server the janitor could not delete still bills: the run fails so the schedule shows it.
    const first = report.failed[0] as JanitorEntry & { error: string };
    markFailed(status, `could not delete ${report.failed.map((f) => f.serverId).join(', ')}: ${first.error}`);
    status.nextAction = `act: delete ${report.failed.map((f) => f.serverId).join(', ')} by hand (aws transfer delete-server) or fix the cause; the next scheduled run tries again`;
    throw ApplicationFailure.create({
      type: 'JanitorDeleteFailed',
      nonRetryable: true,
      message: `The janitor could not delete ${report.failed.length} Transfer server(s), which still bill: ${report.failed.map((f) => `${f.serverId} (${f.error})`).join('; ')}.`,
      details: [report],
    });
  }
}

/** The status of a run that failed: the cause, and what a person does about it. */
function markFailed(status: JanitorStatus, cause: string): void {
  status.stage = 'failed';
  status.step = null;
  status.lastLine = cause;
  status.nextAction = 'act: fix the cause in lastLine; until then every scheduled run fails the same way';
}
