import type { NotifyEvent } from './notify-event.js';

// One rendering of an event, read two ways: Slack (a bold title line, fields, a link) and
// e-mail through SNS (a Subject of at most 100 characters and a plain-text body).

export interface RenderedMessage {
  title: string;
  fields: [label: string, value: string][];
  /** Commands a person copies as they are; shown as code in Slack, as their own lines in e-mail. */
  commands: [label: string, command: string][];
  link: { label: string; url: string };
}

const hours = (ms: number): string => (ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);
const usd = (n: number): string => `$${n.toFixed(2)}`;

export function renderEvent(event: NotifyEvent, workflowUrl: (workflowId: string) => string): RenderedMessage {
  const open = (workflowId: string, label = 'Open in the Temporal UI'): RenderedMessage['link'] => ({ label, url: workflowUrl(workflowId) });
  const site = event.site;
  switch (event.kind) {
    case 'release-started':
      return {
        title: `${site}: release ${event.dryRun ? 'dry run ' : ''}started by ${event.by}`,
        fields: [['Stages', event.stages.join(', ')], ['Release', event.workflowId]],
        commands: [],
        link: open(event.workflowId),
      };
    case 'approval-needed':
      return {
        title: `${site}: release waits for approval to deploy ${event.versionLabel}`,
        fields: [
          ['Image', event.image],
          ['Version label', event.versionLabel],
          ['Environment', `${event.environment} (now ${event.currentVersion ?? 'no version'})`],
          ['Settings', event.settings || 'no environment changes'],
          ['Waits until', event.deadline ?? 'no deadline'],
        ],
        commands: [['Approve', event.approveCommand], ['Reject', event.rejectCommand]],
        link: open(event.workflowId, `Open in the Temporal UI (or Send a Signal "${event.uiSignal}" with {"by":"your-name"})`),
      };
    case 'approval-decided':
      return {
        title: `${site}: deploy ${event.decision} by ${event.by}`,
        fields: [['Release', event.workflowId], ...(event.note ? [[event.decision === 'approved' ? 'Note' : 'Reason', event.note] as [string, string]] : [])],
        commands: [],
        link: open(event.workflowId),
      };
    case 'approval-expiring':
      return {
        title: `${site}: approval of ${event.versionLabel} times out at ${event.deadline}`,
        fields: [['Release', event.workflowId], ['Then', 'the release ends without deploying']],
        commands: [['Approve', event.approveCommand]],
        link: open(event.workflowId),
      };
    case 'stage-failed':
      return {
        title: `${site}: release failed at ${event.stage}`,
        fields: [['Cause', event.cause], ['Child workflow', event.childWorkflowId], ['Release', event.workflowId]],
        commands: [],
        link: open(event.childWorkflowId, 'Open the failed stage in the Temporal UI'),
      };
    case 'release-finished':
      return {
        title: `${site}: release finished in ${hours(event.durationMs)}${event.versionLive ? `, ${event.versionLive} is live` : ''}`,
        fields: [
          ['Stages', event.stages.join(', ')],
          ...(event.filesUploaded !== null ? [['Files uploaded', String(event.filesUploaded)] as [string, string]] : []),
          ...(event.serverSeconds !== null ? [['Transfer server', `${Math.round(event.serverSeconds)} server-seconds, about ${usd(event.estimatedCost ?? 0)}`] as [string, string]] : []),
          ['Version live', event.versionLive ? `${event.versionLive} on ${event.environment ?? '?'}` : 'unchanged'],
        ],
        commands: [],
        link: open(event.workflowId),
      };
    case 'transfer-server-left':
      return {
        title: `${site}: Transfer server ${event.serverId} could not be deleted and may still bill`,
        fields: [['Cost so far', `${usd(event.costSoFar)} (${Math.round(event.serverSeconds)} server-seconds)`], ['Cause', event.cause], ['Sync', event.workflowId]],
        commands: [['Delete it', `aws transfer delete-server --server-id ${event.serverId}`]],
        link: open(event.workflowId),
      };
    case 'transfer-server-reaped':
      return {
        title: `${site}: janitor deleted Transfer server ${event.serverId}`,
        fields: [
          ['Why', event.reason],
          ['Owner', event.ownerWorkflowId ?? 'unknown'],
          ['Cost so far', event.costSoFar === null ? 'unknown' : `${usd(event.costSoFar)} over ${event.ageHours?.toFixed(1) ?? '?'} h`],
        ],
        commands: [],
        link: open(event.workflowId),
      };
    case 'janitor-failed':
      return {
        title: `${site}: janitor run failed${event.serverIds.length ? `, ${event.serverIds.join(', ')} may still bill` : ''}`,
        fields: [['Cause', event.cause], ['Servers', event.serverIds.join(', ') || 'none identified'], ['Janitor run', event.workflowId]],
        commands: event.serverIds.map((id): [string, string] => ['Delete it', `aws transfer delete-server --server-id ${id}`]),
        link: open(event.workflowId),
      };
    case 'compile-step-overrun':
      return {
        title: `${site}: compile step "${event.step}" still running after ${hours(event.runningHours * 3_600_000)} (expected ${hours(event.expectedHours * 3_600_000)})`,
        fields: [['Compile', event.childWorkflowId], ['Release', event.workflowId]],
        commands: [],
        link: open(event.childWorkflowId),
      };
  }
}

/** Slack's mrkdwn treats these three as markup. */
const escapeSlack = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An incoming-webhook body: `text` for notifications and old clients, blocks for the layout. */
export function slackPayload(message: RenderedMessage): Record<string, unknown> {
  const fields = message.fields.slice(0, 10).map(([label, value]) => ({ type: 'mrkdwn', text: `*${escapeSlack(label)}*\n${escapeSlack(value)}`.slice(0, 2000) }));
  return {
    text: message.title,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${escapeSlack(message.title)}*` } },
      ...(fields.length ? [{ type: 'section', fields }] : []),
      ...message.commands.map(([label, command]) => ({ type: 'section', text: { type: 'mrkdwn', text: `${escapeSlack(label)}: \`${escapeSlack(command)}\`` } })),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `<${message.link.url}|${escapeSlack(message.link.label)}>` }] },
    ],
  };
}

/** SNS e-mail: Subject is ASCII without line breaks, under 100 characters; the body is plain text. */
export function emailMessage(message: RenderedMessage): { subject: string; message: string } {
  const ascii = message.title.replace(/[^\x20-\x7e]/g, '?');
  const subject = ascii.length > 99 ? `${ascii.slice(0, 96)}...` : ascii;
  const width = Math.max(...message.fields.map(([label]) => label.length), 0);
  const body = [
    message.title,
    '',
    ...message.fields.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`),
    ...(message.commands.length ? ['', ...message.commands.map(([label, command]) => `${label}:\n    ${command}`)] : []),
    '',
    `${message.link.label}: ${message.link.url}`,
  ];
  return { subject, message: body.join('\n') };
}
