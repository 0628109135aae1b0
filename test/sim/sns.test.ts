import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { simControl, type RunningSim } from '../../sim/index.js';
import { expectAwsError, sdkOptions, useFastSim } from './helpers.js';

// SNS as the runbook's notifications use it: a site's topic in its region, e-mail subscribers
// that confirm first, Publish kept for tests to read, AWS's codes for what it refuses.

void describe('SNS topics, subscriptions and Publish', () => {
  let sim: RunningSim;
  let sns: SNSClient;
  let west: SNSClient;

  useFastSim((started) => {
    sim = started;
    [sns, west] = [new SNSClient(sdkOptions(sim)), new SNSClient({ ...sdkOptions(sim), region: 'us-west-2' })];
    return [sns, west];
  });

  it('creates a topic once per name and region; an e-mail subscriber is pending until it confirms', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'site-releases' }));
    assert.equal(TopicArn, 'arn:aws:sns:us-east-1:123456789012:site-releases');
    assert.equal((await sns.send(new CreateTopicCommand({ Name: 'site-releases' }))).TopicArn, TopicArn, 'CreateTopic is idempotent');
    const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'ops@example.org' }));
    assert.equal(sub.SubscriptionArn, 'pending confirmation');
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    assert.deepEqual(listed.Subscriptions?.map((s) => [s.SubscriptionArn, s.Protocol, s.Endpoint, s.TopicArn]), [['PendingConfirmation', 'email', 'ops@example.org', TopicArn]]);
    const sqs = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:123456789012:q' }));
    assert.match(sqs.SubscriptionArn ?? '', new RegExp(`^${TopicArn}:[0-9a-f-]{36}$`));
    await expectAwsError(sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'not-an-address' })), 'InvalidParameterException');
  });

  it('keeps every accepted Publish for the control API, and refuses what AWS refuses', async () => {
    const TopicArn = 'arn:aws:sns:us-east-1:123456789012:site-releases';
    const out = await sns.send(new PublishCommand({ TopicArn, Subject: 'sample-site: release finished', Message: 'Version live: v42' }));
    assert.match(out.MessageId ?? '', /^[0-9a-f-]{36}$/);
    const long = await expectAwsError(sns.send(new PublishCommand({ TopicArn, Subject: 'x'.repeat(100), Message: 'm' })), 'InvalidParameterException');
    assert.match(long.message, /Invalid parameter: Subject/);
    await expectAwsError(sns.send(new PublishCommand({ TopicArn, Subject: 'two\nlines', Message: 'm' })), 'InvalidParameterException');
    await expectAwsError(sns.send(new PublishCommand({ TopicArn, Message: '' })), 'InvalidParameterException');
    const missing = await expectAwsError(sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:nope', Message: 'm' })), 'NotFoundException');
    assert.equal(missing.$metadata?.httpStatusCode, 404);
    // The topic lives in us-east-1: from us-west-2 its ARN names nothing.
    await expectAwsError(west.send(new PublishCommand({ TopicArn, Message: 'm' })), 'NotFoundException');
    const published = await simControl(sim.controlUrl).snsPublished();
    assert.deepEqual(published.map((p) => [p.region, p.topicArn, p.subject, p.message, p.messageId]), [['us-east-1', TopicArn, 'sample-site: release finished', 'Version live: v42', out.MessageId]]);
  });

  it('a FIFO topic takes a message once per deduplication id', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'site-releases.fifo', Attributes: { FifoTopic: 'true' } }));
    await expectAwsError(sns.send(new PublishCommand({ TopicArn, Message: 'm' })), 'InvalidParameterException');
    const first = await sns.send(new PublishCommand({ TopicArn, Message: 'm', MessageGroupId: 'site', MessageDeduplicationId: 'event-1' }));
    const again = await sns.send(new PublishCommand({ TopicArn, Message: 'm', MessageGroupId: 'site', MessageDeduplicationId: 'event-1' }));
    assert.equal(again.MessageId, first.MessageId);
    const fifo = (await simControl(sim.controlUrl).snsPublished()).filter((p) => p.topicArn === TopicArn);
    assert.equal(fifo.length, 1);
  });
});
