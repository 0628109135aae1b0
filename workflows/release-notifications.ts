import { sleep } from '@temporalio/workflow';
import type { DeployReport } from './deploy-status.js';
import type { Notifier } from './notifier.js';
import type { ReleaseResult } from './release.js';

// What a release tells its channels, built from what it already knows: the deploy child's
// reports for the gate, its own result at the end.

/**
 * Turns the deploy's gate reports into "approval needed", "approved/rejected" and, a set time
 * before the deadline, "about to time out" while it still waits.
 */
export function approvalNotifications(
  notifier: Notifier,
  release: { site: string; workflowId: string; reminderHours: number },
  stillWaiting: () => boolean,
): (report: DeployReport) => void {
  const approveCommand = `npm run approve -- ${release.workflowId}`;
  let reminding = false;
  return (report) => {
    const { approval } = report;
    const base = { site: release.site, workflowId: release.workflowId };
    if (approval.waiting && approval.deploys) {
      const d = approval.deploys;
      notifier.emit('approval-needed', {
        ...base,
        kind: 'approval-needed',
        approveCommand,
        rejectCommand: `npm run reject -- ${release.workflowId} --reason "why"`,
        uiSignal: approval.how.ui.signal,
        image: d.image,
        versionLabel: d.versionLabel,
        environment: d.environment,
        currentVersion: d.currentVersion,
        settings: d.settings,
        deadline: approval.deadline,
      });
      const remindAt = approval.deadline ? Date.parse(approval.deadline) - release.reminderHours * 3_600_000 : NaN;
      // A gate shorter than the reminder's lead gets none: the first message already names its deadline.
      if (!reminding && approval.deadline && remindAt > Date.now()) {
        reminding = true;
        const deadline = approval.deadline;
        void sleep(remindAt - Date.now()).then(
          () => {
            if (stillWaiting()) notifier.emit('approval-expiring', { ...base, kind: 'approval-expiring', deadline, approveCommand, versionLabel: d.versionLabel });
          },
          // Cancelled with the release: nobody needs reminding.
          () => undefined,
        );
      }
    }
    if ((approval.decision === 'approved' || approval.decision === 'rejected') && approval.by) {
      notifier.emit('approval-decided', { ...base, kind: 'approval-decided', decision: approval.decision, by: approval.by, note: approval.note });
    }
  };
}

export function releaseFinished(notifier: Notifier, result: ReleaseResult, stages: string[]): void {
  const deployed = result.deploy?.deployed ? result.deploy : null;
  notifier.emit('release-finished', {
    site: result.site,
    workflowId: result.workflowId,
    kind: 'release-finished',
    durationMs: result.durationMs,
    stages,
    filesUploaded: result.sync ? result.sync.uploaded.files : null,
    serverSeconds: result.sync ? result.sync.serverSeconds : null,
    estimatedCost: result.sync ? result.sync.estimatedCost : null,
    versionLive: deployed?.versionLabel ?? null,
    environment: deployed?.environment ?? null,
  });
}
