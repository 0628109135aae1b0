import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { InputError } from '../config/errors.js';
import { parseConfig } from '../config/load.js';
import { sampleSiteDir } from './helpers/sample-site.js';

// Bad `notify` sections fail when the config is loaded, naming the field and the fix; a
// webhook URL written as a plain value is refused without echoing it.

const configPath = path.join(sampleSiteDir, 'runbook.config.json');

async function withNotify(notify: unknown): Promise<unknown> {
  const config = JSON.parse(await readFile(configPath, 'utf8')) as Record<string, unknown>;
  return { ...config, notify };
}

function refusal(raw: unknown): InputError {
  try {
    parseConfig(raw, configPath);
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err;
  }
  assert.fail('the config was accepted');
}

const topic = 'arn:aws:sns:us-east-1:123456789012:site-releases';

test('a good notify section loads: defaults fill in every event, timeouts and the reminder lead', async () => {
  const config = parseConfig(await withNotify({ channels: [{ name: 'slack', webhook: { secret: 'site/slack-webhook' } }, { name: 'ops', snsTopicArn: topic, events: ['stage-failed'] }] }), configPath);
  assert.equal(config.notify?.channels[0]?.events.length, 10);
  assert.deepEqual(config.notify?.channels[1]?.events, ['stage-failed']);
  assert.equal(config.notify?.approvalReminderHours, 24);
  assert.equal(config.notify?.attempts, 3);
});

test('an SNS topic in another region than the site fails at load, naming the field and both regions', async () => {
  const err = refusal(await withNotify({ channels: [{ name: 'ops', snsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:site-releases' }] }));
  assert.equal(err.field, 'notify.channels[0].snsTopicArn');
  assert.match(err.message, /is a topic in eu-west-1, but the site's region \(aws\.region\) is us-east-1: use the site's topic in us-east-1/);
});

test('a malformed SNS ARN or webhook reference fails at load, naming the field', async () => {
  const arn = refusal(await withNotify({ channels: [{ name: 'ops', snsTopicArn: 'arn:aws:sqs:us-east-1:123456789012:q' }] }));
  assert.equal(arn.field, 'notify.channels[0].snsTopicArn');
  assert.match(arn.message, /must be an SNS topic ARN/);
  const misspelt = refusal(await withNotify({ channels: [{ name: 'slack', webhook: { secrett: 'site/slack-webhook' } }] }));
  assert.equal(misspelt.field, 'notify.channels[0].webhook');
  assert.match(misspelt.message, /must be a reference such as \{"secret": "<name or ARN>"\}/);
  const badName = refusal(await withNotify({ channels: [{ name: 'slack', webhook: { parameter: 'not a name' } }] }));
  assert.equal(badName.field, 'notify.channels[0].webhook.parameter');
  assert.match(badName.message, /must be an SSM parameter name such as "\/site\/slack-webhook"/);
  const both = refusal(await withNotify({ channels: [{ name: 'x', webhook: { secret: 's' }, snsTopicArn: topic }] }));
  assert.equal(both.field, 'notify.channels[0].webhook');
  assert.match(both.message, /either a webhook or an SNS topic, not both or neither/);
  const event = refusal(await withNotify({ channels: [{ name: 'ops', snsTopicArn: topic, events: ['release-done'] }] }));
  assert.equal(event.field, 'notify.channels[0].events[0]');
  const step = refusal(await withNotify({ channels: [{ name: 'ops', snsTopicArn: topic }], expectedStepHours: { expresion: 30 } }));
  assert.equal(step.field, 'notify.expectedStepHours.expresion');
  assert.match(step.message, /names no compile step: use one of "expression", "interactions"/);
});

test('a webhook URL written as a plain value is refused with the fix, and not echoed', async () => {
  const url = 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX';
  const err = refusal(await withNotify({ channels: [{ name: 'slack', webhook: url }] }));
  assert.equal(err.field, 'notify.channels[0].webhook');
  assert.match(err.message, /is written as a plain value, which would be stored in workflow history: put the URL in Secrets Manager and write \{"secret": "<secret name or ARN>"\}/);
  assert.ok(!err.message.includes('XXXXsecretXXXX'), err.message);
});

test('channels without an aws section are refused: references and topics are read through AWS', async () => {
  const raw = (await withNotify({ channels: [{ name: 'ops', snsTopicArn: topic }] })) as Record<string, unknown>;
  delete raw.aws;
  const err = refusal(raw);
  assert.equal(err.field, 'notify.channels[0].snsTopicArn');
  assert.match(err.message, /add an "aws" section/);
});
