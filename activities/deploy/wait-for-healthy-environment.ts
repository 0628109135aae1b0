import path from 'node:path';
import { DescribeEnvironmentHealthCommand, type ElasticBeanstalkClient } from '@aws-sdk/client-elastic-beanstalk';
import { activityInfo, heartbeat, log } from '@temporalio/activity';
import type { AwsClientFactory } from '../aws/clients.js';
import { nonRetryable } from '../failures.js';
import { runDir } from '../run-dir.js';
import { isTransient, rethrowAws } from '../aws/errors.js';
import { pause, previousDetails } from '../pause.js';
import { activityProgress } from '../progress/report-progress.js';
import type { DeploySite, EnvironmentSnapshot } from './deploy-config.js';
import { findEnvironment, smokeHost } from './describe-environment.js';
import { appendEvents, formatEvent, newEvents, type EventCursor, type EnvironmentEvent } from './environment-events.js';

export type HealthWaitPurpose = 'deploy' | 'rollback' | 'restart' | 'launch';

export interface HealthWaitInput {
  site: DeploySite;
  /** The label the environment must end on; null accepts whatever it runs (a restart). */
  expectVersion: string | null;
  /** Epoch ms of the request this wait follows: only events from then on are streamed. */
  since: number;
  /** Epoch ms: the overall limit (beanstalk.timeoutMinutes from the request). */
  deadlineMs: number;
  purpose: HealthWaitPurpose;
  /** Signal of the calling workflow that receives health and events for its `status` query. */
  progressSignal?: string;
  /**
   * Nothing was asked of the environment (it was Ready on the version already): Ready is done at
   * once, rather than after the minute a requested update gets to show that it started.
   */
  unchanged?: boolean;
}

export interface EnvironmentHealth {
  status: string;
  color: string;
  healthStatus: string | null;
  versionLabel: string | null;
  causes: string[];
}

export interface HealthyEnvironment extends EnvironmentHealth {
  environment: string;
  cname: string | null;
  /** Where to smoke-check the site (smokeHost); absent in results recorded before it was added. */
  smokeHost?: string | null;
  waitedMs: number;
  polls: number;
  /** True when this attempt picked up where a crashed worker's attempt left off. */
  resumed: boolean;
  eventsLogPath: string;
}

/** Heartbeat details: what the next attempt resumes from, and what a person sees in the UI. */
interface HealthWaitBeat {
  startedAt: number;
  polls: number;
  cursor: EventCursor;
  /** Saw the environment busy (or a completion event) since the request: Ready now means done. */
  settled: boolean;
  unhealthySince: number | null;
  health: EnvironmentHealth | null;
  recentEvents: string[];
  lastLine: string | null;
  done: null;
  total: null;
}

/** Progress as the workflow's `deployProgress` signal carries it. */
export interface HealthProgress {
  step: string;
  done: null;
  total: null;
  lastLine: string | null;
  health: EnvironmentHealth;
  events: string[];
}

const COMPLETION = /update completed successfully|Successfully launched environment|restartAppServer completed successfully|Environment update was aborted/i;
const SLOWER_AFTER_MS = 5 * 60_000;

/**
 * Polls DescribeEnvironments, DescribeEnvironmentHealth and DescribeEvents until the environment
 * is Ready, Green (or Yellow when accepted) and runs the expected version. The SDK's
 * waitUntilEnvironmentUpdated checks neither health nor label, so it is not used. Resumes from
 * its heartbeat after a worker crash or a failed attempt; fails with the last events and
 * health causes on a lasting Red/Yellow, a reverted version, or the deadline. An AWS error that
 * outlasted the SDK's retries fails the attempt (the workflow's retry policy resumes it).
 */
export async function waitForHealthyEnvironment(aws: AwsClientFactory, input: HealthWaitInput): Promise<HealthyEnvironment> {
  const eb = aws(input.site.aws).beanstalk;
  const { pollSeconds, acceptYellow, healthGraceSeconds } = input.site.beanstalk;
  const eventsLogPath = path.join(runDir(input.site.stateDir), 'beanstalk-events.log');
  const previous = previousDetails<HealthWaitBeat>();
  const resumed = previous !== undefined && typeof previous.startedAt === 'number';
  const beat: HealthWaitBeat = resumed
    ? { ...previous }
    : {
        startedAt: Date.now(),
        polls: 0,
        cursor: { at: input.since, keys: [] },
        settled: input.unchanged === true,
        unhealthySince: null,
        health: null,
        recentEvents: [],
        lastLine: null,
        done: null,
        total: null,
      };
  if (resumed) log.info('resuming the health wait of a previous attempt', { polls: beat.polls, attempt: activityInfo().attempt });
  // Events not yet sent are kept (the last five) so a coalesced update still carries them.
  const progress = activityProgress<HealthProgress>(input.progressSignal, {
    minIntervalMs: 1000,
    merge: (pending, next) => ({ ...next, events: [...pending.events, ...next.events].slice(-5) }),
  });
  const report = (update: HealthProgress): void => progress.report(update);
  // Heartbeats keep flowing while an SDK call sits in its own retries, so the heartbeat timeout
  // only ever fires for a worker that is really gone.
  const keepAlive = setInterval(() => heartbeat(beat), 1000);
  try {
    return await pollUntilHealthy({ eb, input, beat, resumed, eventsLogPath, report, pollMs: pollSeconds * 1000, acceptYellow, healthGraceSeconds });
  } finally {
    clearInterval(keepAlive);
    progress.stop();
  }
}

async function pollUntilHealthy(ctx: {
  eb: ElasticBeanstalkClient;
  input: HealthWaitInput;
  beat: HealthWaitBeat;
  resumed: boolean;
  eventsLogPath: string;
  report: (progress: HealthProgress) => void;
  pollMs: number;
  acceptYellow: boolean;
  healthGraceSeconds: number;
}): Promise<HealthyEnvironment> {
  const { eb, input, beat, resumed, eventsLogPath, report, pollMs, acceptYellow, healthGraceSeconds } = ctx;
  const { application, environment } = input.site.beanstalk;
  for (;;) {
    let snap: EnvironmentSnapshot | undefined;
    let health: EnvironmentHealth;
    let events: EnvironmentEvent[];
    try {
      snap = await findEnvironment(eb, application, environment);
      if (!snap) throw nonRetryable('EnvironmentNotFound', `Environment "${environment}" disappeared while waiting for it to be healthy.`);
      health = await describeHealth(eb, snap);
      const fresh = await newEvents(eb, { application, environment, cursor: beat.cursor });
      events = fresh.events;
      beat.cursor = fresh.cursor;
    } catch (err) {
      // No backoff loop of our own: the SDK client already retried throttling and 5xx; what
      // outlasts it fails this attempt, and the next attempt resumes from the heartbeat.
      rethrowAws(err, `Watching environment ${environment}`);
    }
    beat.polls += 1;
    const lines = events.map(formatEvent);
    await appendEvents(eventsLogPath, events);
    for (const line of lines) log.info('beanstalk event', { environment, event: line });
    beat.recentEvents = [...beat.recentEvents, ...lines].slice(-10);
    if (lines.length) beat.lastLine = events.at(-1)?.message ?? beat.lastLine;
    const changed = lines.length > 0 || JSON.stringify(health) !== JSON.stringify(beat.health);
    beat.health = health;
    if (!beat.lastLine || (changed && lines.length === 0)) beat.lastLine = `${health.status}, ${health.color}${health.healthStatus ? ` (${health.healthStatus})` : ''}, version ${health.versionLabel ?? '-'}`;
    if (snap.status !== 'Ready' || events.some((e) => COMPLETION.test(e.message))) beat.settled = true;
    // A Ready environment that never showed a change for a minute is taken as already done.
    if (!beat.settled && Date.now() - beat.startedAt > Math.max(60_000, 3 * pollMs)) beat.settled = true;
    heartbeat(beat);
    if (changed) report({ step: `health:${input.purpose}`, done: null, total: null, lastLine: beat.lastLine, health, events: lines.slice(-5) });

    if (snap.status === 'Ready' && beat.settled) {
      if (input.expectVersion !== null && health.versionLabel !== input.expectVersion) {
        throw unhealthy(input, beat, `the environment is Ready on version ${health.versionLabel ?? '(none)'}, not ${input.expectVersion}: Beanstalk did not deploy it (it reverts a failed deployment)`);
      }
      const healthy = health.color === 'Green' || (acceptYellow && health.color === 'Yellow');
      if (healthy) {
        const result: HealthyEnvironment = {
          ...health,
          environment,
          cname: snap.cname,
          smokeHost: smokeHost(input.site.aws, snap),
          waitedMs: Date.now() - beat.startedAt,
          polls: beat.polls,
          resumed,
          eventsLogPath,
        };
        log.info('environment healthy', { environment, version: health.versionLabel, color: health.color, waitedMs: result.waitedMs });
        return result;
      }
      if (health.color !== 'Grey') {
        beat.unhealthySince ??= Date.now();
        if (Date.now() - beat.unhealthySince >= healthGraceSeconds * 1000) {
          throw unhealthy(input, beat, `health is ${health.color}${health.healthStatus ? ` (${health.healthStatus})` : ''}${acceptYellow ? '' : health.color === 'Yellow' ? ' (set beanstalk.acceptYellow to accept Yellow)' : ''}`);
        }
      }
    } else {
      beat.unhealthySince = null;
    }
    if (Date.now() > input.deadlineMs) throw timedOut(input, beat, `it is ${health.status}, ${health.color}`, snap.abortable);
    const elapsed = Date.now() - beat.startedAt;
    await pause(elapsed > SLOWER_AFTER_MS ? Math.min(pollMs * 2, 60_000) : pollMs, () => beat);
  }
}

/** DescribeEnvironmentHealth (enhanced health); environments on basic health only have a colour. */
async function describeHealth(eb: ElasticBeanstalkClient, snap: EnvironmentSnapshot): Promise<EnvironmentHealth> {
  try {
    const out = await eb.send(new DescribeEnvironmentHealthCommand({ EnvironmentName: snap.name, AttributeNames: ['All'] }));
    return {
      status: out.Status ?? snap.status,
      color: out.Color ?? snap.health,
      healthStatus: out.HealthStatus ?? null,
      versionLabel: snap.versionLabel,
      causes: out.Causes ?? [],
    };
  } catch (err) {
    if (isTransient(err)) throw err;
    return { status: snap.status, color: snap.health, healthStatus: null, versionLabel: snap.versionLabel, causes: [] };
  }
}

function explain(input: HealthWaitInput, beat: HealthWaitBeat, what: string): string {
  const h = beat.health;
  const causes = h?.causes.length ? `\nHealth causes: ${h.causes.join(' ')}` : '';
  const events = beat.recentEvents.length ? `\nLast events:\n  ${beat.recentEvents.slice(-6).join('\n  ')}` : '';
  const waited = Math.round((Date.now() - beat.startedAt) / 1000);
  return `Environment "${input.site.beanstalk.environment}" is not healthy after ${waited} s (${input.purpose}${input.expectVersion ? ` of ${input.expectVersion}` : ''}): ${what}.${causes}${events}`;
}

function unhealthy(input: HealthWaitInput, beat: HealthWaitBeat, what: string): Error {
  return nonRetryable('DeployUnhealthy', explain(input, beat, what), { health: beat.health, events: beat.recentEvents });
}

function timedOut(input: HealthWaitInput, beat: HealthWaitBeat, what: string, abortable = false): Error {
  const minutes = input.site.beanstalk.timeoutMinutes;
  return nonRetryable('HealthTimedOut', explain(input, beat, `still not Ready and healthy at the ${minutes}-minute limit (beanstalk.timeoutMinutes); ${what}`), {
    health: beat.health,
    events: beat.recentEvents,
    abortable,
  });
}
