import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { RunningSim } from '../../sim/index.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

export interface NotifyChannels {
  receiver: WebhookReceiver;
  /** The secret part of the hook's URL: it must never show up in a history. */
  canary: string;
  topicArn: string;
}

/**
 * A Slack-like receiver whose URL sits in a Secrets Manager secret, and an SNS topic with an
 * e-mail subscriber, both in the sim; the site's config gets a `notify` section naming them.
 */
export async function addNotifyChannels(fx: { sim: RunningSim; region?: string }, configPath: string, notify: Record<string, unknown> = {}): Promise<NotifyChannels> {
  const region = fx.region ?? 'us-east-1';
  const common = { endpoint: fx.sim.endpoint, region, credentials: { accessKeyId: 'AKIASIM', secretAccessKey: 'sim' } };
  const canary = `T0${randomUUID().replace(/-/g, '')}`;
  const receiver = await startWebhookReceiver(canary);
  const secretName = `notify/slack-${randomUUID().slice(0, 8)}`;
  const sm = new SecretsManagerClient(common);
  const sns = new SNSClient(common);
  try {
    await sm.send(new CreateSecretCommand({ Name: secretName, SecretString: receiver.url }));
    const topic = await sns.send(new CreateTopicCommand({ Name: `releases-${randomUUID().slice(0, 8)}` }));
    const topicArn = topic.TopicArn as string;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'ops@example.org' }));
    const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
    config.notify = {
      channels: [
        { name: 'slack', webhook: { secret: secretName } },
        { name: 'ops-email', snsTopicArn: topicArn },
      ],
      timeoutSeconds: 2,
      ...notify,
    };
    await writeFile(configPath, JSON.stringify(config, null, 2));
    return { receiver, canary, topicArn };
  } finally {
    sm.destroy();
    sns.destroy();
  }
}
