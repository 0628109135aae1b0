/**
 * Every `patched()` id in the workflows, in one place: a change to what a workflow does goes
 * behind a new id here (with a replay fixture), so runs started by an older build keep their
 * path, and a worker can hold new ids inactive during a rolling upgrade (worker/patch-hold.ts).
 */
export const Patches = {
  /** Data work runs on the host that holds the run's data (workflows/host-affinity.ts). */
  hostAffinity: 'runbook-host-affinity',
  /** The unchanged-tree check and the S3 sync read local files too: they join the pinned work. */
  hostAffinityLocalReads: 'runbook-host-affinity-local-reads',
  /** One release per site, and approval decisions counted only at the gate. */
  siteLockAndGate: 'release-site-lock-and-gate',
  /** The release watches its running child for a data host that stopped taking work, and shows the wait itself. */
  releaseWatchesDataHost: 'release-watches-data-host',
  /** The deploy child reports its gate and stage to the release. */
  deployReportsToRelease: 'deploy-reports-to-release',
  /** After a healthy deploy: stray bundles and unreferenced images are deleted. */
  pruneReleaseArtifacts: 'prune-release-artifacts',
  /** A bundle whose application version was refused is deleted at once, not left for the next prune. */
  discardRefusedBundle: 'discard-refused-bundle',
  /** Notifications (workflows/notifier.ts), one id per workflow that sends them. */
  releaseNotifications: 'release-notifications',
  janitorNotifications: 'janitor-notifications',
  /** A message that the data host is unreachable goes out from any host (from that host it never would). */
  hostGoneNoticeFromAnyHost: 'host-gone-notice-from-any-host',
  /** The janitor's notifications go to one host, whose disk holds their sent records (at most once). */
  janitorNotifyOnOneHost: 'janitor-notify-on-one-host',
  /** A failing janitor run says so: status 'failed' and a `janitor-failed` message. */
  janitorFailureNotice: 'janitor-failure-notice',
  syncServerLeft: 'sync-server-left',
  compileStepOverrun: 'compile-step-overrun',
  /** No Transfer server for a tree the last verified sync already put there. */
  skipUnchangedTree: 'skip-unchanged-tree',
  /** An S3 data target syncs to its bucket prefix, with no Transfer server (workflows/sync-s3.ts). */
  s3DataTarget: 's3-data-target',
  /** An S3 dry run compares with the bucket and names what would be uploaded and deleted. */
  s3DryRunPlan: 's3-dry-run-plan',
  /** A release of `{}` for a website site without Beanstalk runs compile → sync → website (→ image) (workflows/release.ts). */
  websiteRelease: 'website-release',
  /** A site on a non-Docker platform without an image section deploys its app's own files (no image stage). */
  appSourceBundle: 'app-source-bundle',
  /**
   * A release whose deploy comes after other stages checks the deploy's target (bundle, registry,
   * environment) before the first of them: a missing application.py fails before the compile.
   */
  deployCheckedFirst: 'deploy-checked-first',
} as const;

export type PatchId = (typeof Patches)[keyof typeof Patches];

export const patchIds: readonly PatchId[] = Object.values(Patches);
