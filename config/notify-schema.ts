import { z } from 'zod';

// The `notify` section: who is told what, and where. A webhook URL is itself a credential
// (anyone holding it can post to the channel), so it is only ever a reference, resolved by the
// activity that posts; an SNS topic ARN is not secret and is written as it is.

export const notifyEvents = [
  'release-started',
  'approval-needed',
  'approval-decided',
  'approval-expiring',
  'stage-failed',
  'release-finished',
  'transfer-server-left',
  'transfer-server-reaped',
  'janitor-failed',
  'compile-step-overrun',
] as const;
export type NotifyEventKind = (typeof notifyEvents)[number];

const webhookRefFix =
  'put the URL in Secrets Manager and write {"secret": "<secret name or ARN>"} (or {"parameter": "/site/slack-webhook"} for SSM Parameter Store), ' +
  'so the URL never lands in workflow history';

// A plain string is read as "someone pasted the URL": refused with the fix, never echoed.
const webhookRef = z.union(
  [
    z.strictObject({
      secret: z.string().min(1, 'must be a Secrets Manager secret ARN or name'),
      key: z.string().min(1, 'must name a key of the secret\'s JSON value').optional(),
    }),
    z.strictObject({
      parameter: z.string().regex(/^(arn:aws[\w-]*:ssm:|\/)?[A-Za-z0-9/_.-]+$/, 'must be an SSM parameter name such as "/site/slack-webhook" or its ARN'),
      key: z.string().min(1, 'must name a key of the parameter\'s JSON value').optional(),
    }),
  ],
  {
    error: (issue) =>
      typeof issue.input === 'string'
        ? `is written as a plain value, which would be stored in workflow history: ${webhookRefFix}`
        : `must be a reference such as {"secret": "<name or ARN>"} or {"parameter": "/site/slack-webhook"}: ${webhookRefFix}`,
  },
);

export const SNS_TOPIC_ARN = /^arn:(aws|aws-cn|aws-us-gov):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256}(\.fifo)?)$/;

export const notifyChannelSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be a short name of letters, digits, "-", "_" or "." (the status names failing channels by it)'),
    webhook: webhookRef.optional(),
    snsTopicArn: z.string().regex(SNS_TOPIC_ARN, 'must be an SNS topic ARN such as "arn:aws:sns:us-east-1:123456789012:site-releases"').optional(),
    events: z
      .array(z.enum(notifyEvents, { error: `must each be one of ${notifyEvents.map((e) => `"${e}"`).join(', ')}` }))
      .min(1, 'must name at least one event (or leave "events" out for all of them)')
      .default([...notifyEvents]),
  })
  .superRefine((channel, ctx) => {
    if ((channel.webhook === undefined) === (channel.snsTopicArn === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['webhook'], message: 'must be given, or "snsTopicArn" instead: a channel is either a webhook or an SNS topic, not both or neither' });
    }
  });

export const notifySchema = z.strictObject({
  channels: z
    .array(notifyChannelSchema)
    .min(1, 'must list at least one channel')
    .refine((channels) => new Set(channels.map((c) => c.name)).size === channels.length, 'channel names must be unique'),
  /** Expected hours per compile step; a step still running past them is reported once. */
  expectedStepHours: z.record(z.string(), z.number({ error: 'must be a number of hours' }).positive('must be greater than 0')).default({}),
  /** How long before the approval deadline the "about to time out" reminder goes out. */
  approvalReminderHours: z.number({ error: 'must be a number of hours' }).positive('must be greater than 0').max(24 * 30).default(24),
  /** One delivery attempt's limit; a receiver that does not answer in time is not posted to again. */
  timeoutSeconds: z.number().min(0.5, 'must be at least 0.5 seconds').max(120, 'must be at most 120 seconds').default(10),
  attempts: z.number().int('must be a whole number').min(1, 'must be at least 1').max(10, 'must be at most 10').default(3),
  /** The Temporal UI the links point at; default TEMPORAL_UI_URL or the dev server's. */
  temporalUiUrl: z.url({ protocol: /^https?$/, error: 'must be a URL such as "https://temporal.example.org"' }).optional(),
});

export type NotifyConfig = z.infer<typeof notifySchema>;
export type NotifyChannel = z.infer<typeof notifyChannelSchema>;
