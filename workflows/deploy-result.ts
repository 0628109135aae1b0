import type { PruneResult } from '../activities/deploy/prune-release-artifacts.js';
import type { SmokeCheckResult } from '../activities/deploy/smoke-check.js';
import type { SettingsChange } from '../activities/deploy/environment-settings.js';
import type { EnvironmentHealthView } from './deploy-status.js';

/** What every deploy result carries, whatever its outcome. */
interface DeployResultBase {
  site: string;
  mode: 'deploy' | 'restart';
  application: string;
  environment: string;
  image: { repository: string; tag: string; digest: string; reference: string; pushed: boolean; pushAttempts: number } | null;
  versionLabel: string | null;
  previousVersion: string | null;
  durationMs: number;
}

/** A Beanstalk change that ended healthy and smoke-checked. */
interface ChangedEnvironment extends DeployResultBase {
  deployed: true;
  finalHealth: EnvironmentHealthView;
  cname: string | null;
  smoke: SmokeCheckResult;
  /** From the Beanstalk change (update, create or restart) to healthy and smoke-checked. */
  deployDurationMs: number | null;
  healthWaitMs: number;
  /** True when a worker died during the health wait and another one picked the wait up. */
  healthWaitResumed: boolean;
  eventsLog: string | null;
  /** Always false: a rolled-back deploy fails the workflow (type DeployRolledBack) instead. */
  rolledBack: false;
}

export interface Deployed extends ChangedEnvironment {
  outcome: 'deployed';
  environmentCreated: boolean;
  approvedBy: string;
  approvedAt: string | null;
  approvalNote: string | null;
  autoApproved: boolean;
  bundle: { bucket: string; key: string; bytes: number; files: string[] };
  /** Environment settings this deploy changed, names only (null: none). */
  settings: SettingsChange | null;
  /** What the post-deploy prune deleted (null: not run, or it failed; the status says which). */
  pruned: PruneResult | null;
}

/** A data-only release: app servers restarted, no approval, no settings applied. */
export interface Restarted extends ChangedEnvironment {
  outcome: 'restarted';
}

/** A person rejected the deploy at the gate: nothing changed. */
export interface Rejected extends DeployResultBase {
  outcome: 'rejected';
  deployed: false;
  rejectedBy: string;
  rejectionReason: string | null;
}

/** Nobody decided before beanstalk.approvalTimeoutHours: nothing changed. */
export interface ApprovalTimedOut extends DeployResultBase {
  outcome: 'approval-timed-out';
  deployed: false;
  approvalDeadline: string | null;
}

/** The deploy workflow's result, by outcome (a failed or rolled-back deploy fails the workflow instead). */
export type DeployResult = Deployed | Restarted | Rejected | ApprovalTimedOut;
