import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENV_NAMESPACE, MANAGED_MARKER, planSettings, SECRETS_NAMESPACE } from '../activities/deploy/environment-settings.js';
import { InputError } from '../config/errors.js';
import { parseConfig } from '../config/load.js';

// The settings difference a deploy shows at its gate and applies with the new version, and the
// config rules that keep secret values out of it: names only, references instead of values.

const arn = (name: string): string => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;

test('the plan sets changed values, adds secrets, removes only what the runbook set before, and says so in names only', () => {
  const current = [
    { Namespace: ENV_NAMESPACE, OptionName: 'DATA_DIR', Value: '/data' },
    { Namespace: ENV_NAMESPACE, OptionName: 'OLD_FLAG', Value: '1' },
    { Namespace: ENV_NAMESPACE, OptionName: 'PYTHONPATH', Value: '/var/app/venv' },
    { Namespace: ENV_NAMESPACE, OptionName: 'FLASK_SECRET_KEY', Value: 'was-plain' },
    { Namespace: ENV_NAMESPACE, OptionName: MANAGED_MARKER, Value: 'DATA_DIR,FLASK_SECRET_KEY,OLD_FLAG' },
    { Namespace: 'aws:autoscaling:launchconfiguration', OptionName: 'InstanceType', Value: 't3.micro' },
  ];
  const plan = planSettings(current, { plain: { DATA_DIR: '/data2' }, secrets: { FLASK_SECRET_KEY: arn('flask') }, instanceType: 't3.small' });
  assert.equal(plan.change.summary, 'will set DATA_DIR, add secret FLASK_SECRET_KEY, remove OLD_FLAG, change instance type t3.micro → t3.small');
  assert.ok(!plan.change.summary.includes('/data2'), 'no value in the summary');
  const sets = Object.fromEntries(plan.optionSettings.map((o) => [`${o.Namespace}|${o.OptionName}`, o.Value]));
  assert.equal(sets[`${SECRETS_NAMESPACE}|FLASK_SECRET_KEY`], arn('flask'));
  assert.equal(sets[`${ENV_NAMESPACE}|${MANAGED_MARKER}`], 'DATA_DIR,FLASK_SECRET_KEY');
  const removed = plan.optionsToRemove.map((o) => `${o.Namespace}|${o.OptionName}`).sort();
  // The plain FLASK_SECRET_KEY leaves as its secret arrives; PYTHONPATH (set by the platform) stays.
  assert.deepEqual(removed, [`${ENV_NAMESPACE}|FLASK_SECRET_KEY`, `${ENV_NAMESPACE}|OLD_FLAG`]);

  const again = planSettings([
    { Namespace: ENV_NAMESPACE, OptionName: 'DATA_DIR', Value: '/data2' },
    { Namespace: SECRETS_NAMESPACE, OptionName: 'FLASK_SECRET_KEY', Value: arn('flask') },
    { Namespace: ENV_NAMESPACE, OptionName: MANAGED_MARKER, Value: 'DATA_DIR,FLASK_SECRET_KEY' },
  ], { plain: { DATA_DIR: '/data2' }, secrets: { FLASK_SECRET_KEY: arn('flask') }, instanceType: null });
  assert.equal(again.change.summary, 'no setting changes');
  assert.deepEqual([again.optionSettings, again.optionsToRemove], [[], []]);
});

function configWith(envVars: Record<string, unknown>, stepEnv: Record<string, unknown> = {}): unknown {
  return {
    site: 'sample-site',
    aws: { region: 'us-east-1' },
    compile: { steps: [{ name: 'compile', command: ['python', 'viz/data.py'], env: stepEnv }] },
    beanstalk: { application: 'sample-site', environment: 'sample-site-prod', envVars },
  };
}

function refusal(raw: unknown): InputError {
  try {
    parseConfig(raw, '/tmp/runbook.config.json');
  } catch (err) {
    assert.ok(err instanceof InputError, String(err));
    return err;
  }
  assert.fail('the config was accepted');
}

test('a plain value that looks like a secret is refused at load, with how to write it as a reference', () => {
  const byName = refusal(configWith({ FLASK_SECRET_KEY: 'dev-only-value-123' }));
  assert.equal(byName.field, 'beanstalk.envVars.FLASK_SECRET_KEY');
  assert.match(byName.message, /beanstalk\.envVars\.FLASK_SECRET_KEY is a plain value and its name looks like a secret's.*write it as a reference, such as \{"secret": "arn:aws:secretsmanager:/);
  assert.ok(!byName.message.includes('dev-only-value-123'), 'the refusal never repeats the value');

  const byShape = refusal(configWith({}, { SLACK: 'https://hooks.slack.com/services/T000/B000/XXXXXXXX' }));
  assert.equal(byShape.field, 'compile.steps[0].env.SLACK');
  assert.match(byShape.message, /looks like a Slack webhook URL/);

  const jsonKey = refusal(configWith({ FLASK_SECRET_KEY: { secret: 'site/flask', key: 'k' } }));
  assert.equal(jsonKey.field, 'beanstalk.envVars.FLASK_SECRET_KEY.key');

  const noAws = refusal({ ...(configWith({}, { TOKEN: { parameter: '/site/token' } }) as object), aws: undefined });
  assert.match(noAws.message, /compile\.steps\[0\]\.env\.TOKEN is a secret reference, which is read from AWS: add an "aws" section/);

  // References, and a value marked deliberately plain, load.
  const ok = parseConfig(configWith({ FLASK_SECRET_KEY: { secret: 'site/flask' }, API_KEY_ID: { plain: 'public-id' }, DATA_DIR: '/app/data' }, { TOKEN: { parameter: '/site/token', key: 't' } }), '/tmp/runbook.config.json');
  assert.deepEqual(ok.beanstalk?.envVars.API_KEY_ID, { plain: 'public-id' });
});
