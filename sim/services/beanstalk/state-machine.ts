import { now } from '../../clock.js';
import { everyRegion, regional } from '../../regions.js';
import type { SimContext } from '../../context.js';
import type { EbEnvironment, EbEvent, EbPendingOperation, RegionalState } from '../../state.js';

// An environment's life as Beanstalk reports it: each operation starts (status, health,
// "is starting" events) and completes once its time passes, with the events Beanstalk writes.

const MAX_EVENTS = 5000;
export const SEVERE_CAUSES = ['ELB processes are not healthy on all instances.', 'ELB health is failing or not available for all instances.'];

type Eb = RegionalState['eb'];

export interface EventFields {
  app: string;
  env?: string;
  version?: string;
  severity?: EbEvent['severity'];
  requestId?: string;
}

function pushEvent(eb: Eb, at: number, message: string, fields: EventFields): void {
  eb.eventSeq += 1;
  eb.events.push({
    eventDate: at, message, applicationName: fields.app, environmentName: fields.env, versionLabel: fields.version,
    severity: fields.severity ?? 'INFO', requestId: fields.requestId, seq: eb.eventSeq,
  });
  if (eb.events.length > MAX_EVENTS) eb.events.splice(0, eb.events.length - MAX_EVENTS);
}

/** An event written while handling a request: it carries that request's id. */
export function addEvent(ctx: Pick<SimContext, 'store' | 'region' | 'requestId'>, at: number, message: string, fields: EventFields): void {
  pushEvent(regional(ctx).eb, at, message, { requestId: ctx.requestId, ...fields });
}

export function envEvent(ctx: Pick<SimContext, 'store' | 'region' | 'requestId'>, env: EbEnvironment, at: number, message: string, severity: EbEvent['severity'] = 'INFO'): void {
  addEvent(ctx, at, message, { app: env.applicationName, env: env.environmentName, version: env.versionLabel, severity });
}

export function begin(ctx: SimContext, env: EbEnvironment, kind: EbPendingOperation['kind'], extra: { toVersion?: string; fromVersion?: string; goesRed?: boolean } = {}): void {
  const at = now();
  env.pending = {
    kind, startedAt: at, until: at + ctx.timings.beanstalkUpdateMs, toVersion: extra.toVersion,
    fromVersion: extra.fromVersion ?? env.versionLabel, goesRed: extra.goesRed ?? false, requestId: ctx.requestId,
  };
  env.updatedAt = at;
}

function complete(eb: Eb, env: EbEnvironment, ctx: Pick<SimContext, 'hooks'>): void {
  const op = env.pending;
  if (!op) return;
  const at = op.until;
  delete env.pending;
  env.updatedAt = at;
  const took = Math.max(1, Math.round((op.until - op.startedAt) / 1000));
  const say = (message: string, severity: EbEvent['severity'] = 'INFO'): void =>
    pushEvent(eb, at, message, { app: env.applicationName, env: env.environmentName, version: env.versionLabel, severity, requestId: op.requestId });
  const failed = op.verdict?.failed;
  if (failed && (op.kind === 'launch' || op.kind === 'update')) {
    // The engine on the instance failed the deployment: Beanstalk resets the expected version to
    // the last successful one and reports the instance as running the wrong version.
    env.status = 'Ready';
    if (op.kind === 'update') env.versionLabel = op.fromVersion;
    env.health = 'Red';
    env.healthStatus = 'Severe';
    env.causes = [`Application update failed on 1 out of 1 instance.`, `Incorrect application version "${op.toVersion ?? ''}" on 1 instance. Expected version "${env.versionLabel ?? ''}".`];
    say(failed, 'ERROR');
    say("Instance deployment failed. For details, see 'eb-engine.log'.", 'ERROR');
    say('Command execution completed on all instances. Summary: [Successful: 0, Failed: 1].');
    say(op.kind === 'launch' ? 'Create environment operation is complete, but with errors. For more information, see troubleshooting documentation.' : 'Failed to deploy application.', 'ERROR');
    return;
  }
  if (op.verdict && (op.kind === 'launch' || op.kind === 'update')) {
    env.app = { entry: op.verdict.entry, ...(op.verdict.appDown ? { down: op.verdict.appDown } : {}) };
  }
  switch (op.kind) {
    case 'launch':
      env.status = 'Ready';
      env.health = 'Green';
      env.healthStatus = 'Ok';
      say(`Environment health has transitioned from Pending to Ok. Initialization completed 1 seconds ago and took ${took} seconds.`);
      say(`Successfully launched environment: ${env.environmentName}`);
      break;
    case 'update': {
      env.status = 'Ready';
      say('New application version was deployed to running EC2 instances.');
      say('Environment update completed successfully.');
      const before = env.healthStatus;
      if (op.goesRed) {
        env.health = 'Red';
        env.healthStatus = 'Severe';
        env.causes = [...SEVERE_CAUSES];
        say(`Environment health has transitioned from ${before} to Severe. ${SEVERE_CAUSES.join(' ')}`, 'WARN');
      } else {
        env.health = 'Green';
        env.healthStatus = 'Ok';
        env.causes = [];
        say(`Environment health has transitioned from ${before} to Ok. Application update completed 1 seconds ago and took ${took} seconds.`);
      }
      break;
    }
    case 'restart':
      env.status = 'Ready';
      say('restartAppServer completed successfully.');
      break;
    case 'abort':
      env.status = 'Ready';
      env.versionLabel = op.fromVersion;
      env.health = 'Green';
      env.healthStatus = 'Ok';
      env.causes = [];
      say('Environment update was aborted.');
      say('During an aborted deployment, some instances may have deployed the new application version. To ensure all instances are running the same version, re-deploy the appropriate application version.', 'WARN');
      break;
    case 'terminate':
      env.status = 'Terminated';
      env.health = 'Grey';
      env.healthStatus = 'Unknown';
      say('terminateEnvironment completed successfully.');
      void ctx.hooks.closeEnvironmentListener(env.environmentId);
      break;
  }
  if (env.app?.down && (op.kind === 'launch' || op.kind === 'update' || op.kind === 'restart')) {
    // The deployment itself succeeded; nginx answers 502 because the app process never starts.
    const before = env.healthStatus;
    env.health = 'Red';
    env.healthStatus = 'Severe';
    env.causes = ['100.0 % of the requests are erroring with HTTP 5xx.', `Following services are not running: web (${env.app.down}).`];
    say(`Environment health has transitioned from ${before} to Severe. ${env.causes.join(' ')}`, 'WARN');
  }
}

/** Finishes deployments, launches and version processing whose time has come, in every region. */
export function advanceBeanstalk(ctx: Pick<SimContext, 'store' | 'hooks'>, at: number): void {
  for (const [, region] of everyRegion(ctx.store.state)) {
    const eb = region.eb;
    for (const env of Object.values(eb.environments)) {
      if (env.pending && at >= env.pending.until) complete(eb, env, ctx);
    }
    for (const v of eb.versions) {
      if (v.status === 'Processing' && v.processedAt !== undefined && at >= v.processedAt) {
        v.status = v.processOutcome ?? 'Processed';
        delete v.processOutcome;
      }
    }
  }
}
