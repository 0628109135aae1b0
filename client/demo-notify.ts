import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { RunningSim } from '../sim/index.js';

// The demo's two notification channels, both local: a stand-in for a Slack incoming webhook that
// prints what it is sent, its URL kept in the sim's Secrets Manager as a real one would be, and
// an SNS topic in the sim with an e-mail subscriber (the sim keeps what it would have mailed).

export interface DemoNotify {
  /** The config's `notify` section. */
  section: Record<string, unknown>;
  topicArn: string;
  close(): Promise<void>;
}

export async function startDemoNotify(sim: RunningSim, say: (line: string) => void): Promise<DemoNotify> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text?: string };
        say(`  [slack] ${body.text ?? '(no text)'}`);
      } catch {
        say('  [slack] (a post that is not JSON)');
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/demo`;
  const common = { endpoint: sim.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIALOCALSIM', secretAccessKey: 'local-sim' } };
  const sm = new SecretsManagerClient(common);
  const sns = new SNSClient(common);
  try {
    await sm.send(new CreateSecretCommand({ Name: 'sample-site/slack-webhook', SecretString: url }));
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'sample-site-releases' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.org' }));
    return {
      section: {
        channels: [
          { name: 'slack', webhook: { secret: 'sample-site/slack-webhook' } },
          { name: 'ops-email', snsTopicArn: TopicArn },
        ],
      },
      topicArn: TopicArn as string,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  } finally {
    sm.destroy();
    sns.destroy();
  }
}
