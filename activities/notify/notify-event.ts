import type { NotifyEventKind } from '../../config/notify-schema.js';
import type { SecretReference } from '../../config/schema.js';

// What a workflow tells people, as data: the workflow decides that something happened, the
// activity decides how it reads in Slack or e-mail. Workflows import these as types only.

interface EventBase {
  site: string;
  /** The workflow the message's link opens (the release, or the janitor). */
  workflowId: string;
}

export type NotifyEvent = EventBase &
  (
    | { kind: 'release-started'; by: string; stages: string[]; dryRun: boolean }
    | {
        kind: 'approval-needed';
        /** Runs as it is: the login name stands for --by. */
        approveCommand: string;
        rejectCommand: string;
        uiSignal: string;
        image: string;
        versionLabel: string;
        environment: string;
        currentVersion: string | null;
        /** Environment variable names only, never values. */
        settings: string;
        deadline: string | null;
      }
    | { kind: 'approval-decided'; decision: 'approved' | 'rejected'; by: string; note: string | null }
    | { kind: 'approval-expiring'; deadline: string; approveCommand: string; versionLabel: string }
    | { kind: 'stage-failed'; stage: string; childWorkflowId: string; cause: string }
    | {
        kind: 'release-finished';
        durationMs: number;
        stages: string[];
        filesUploaded: number | null;
        serverSeconds: number | null;
        estimatedCost: number | null;
        versionLive: string | null;
        environment: string | null;
      }
    | { kind: 'transfer-server-left'; serverId: string; serverSeconds: number; costSoFar: number; cause: string }
    | { kind: 'transfer-server-reaped'; serverId: string; ownerWorkflowId: string | null; reason: string; ageHours: number | null; costSoFar: number | null }
    /** A janitor run that failed; serverIds are those it could not delete (none if it could not list them). */
    | { kind: 'janitor-failed'; serverIds: string[]; cause: string }
    | { kind: 'compile-step-overrun'; step: string; expectedHours: number; runningHours: number; childWorkflowId: string }
  );

// Every kind of the config's list has a shape here, and nothing else does.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const eventKindsMatch: Same<NotifyEvent['kind'], NotifyEventKind> = true;

/** One channel as the activity needs it: where to send, nothing about what it wants. */
export type ChannelTarget = { name: string } & ({ webhook: SecretReference } | { snsTopicArn: string });
