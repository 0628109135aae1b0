import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { compileWorkflow } from '../workflows/compile.js';
import { makeSampleSite, type SampleSite } from './helpers/sample-site.js';
import { suiteHooks } from './helpers/suite-hooks.js';
import { startServerWithWorker, uniqueTaskQueue } from './helpers/temporal-env.js';

// Commands in the config are argv arrays run without a shell: whatever a config value holds
// reaches the program as text. A program that echoes its argv and environment proves it, and
// marker files prove no shell ever ran the payloads.

let env: TestWorkflowEnvironment;
let site: SampleSite | undefined;
const taskQueue = uniqueTaskQueue('shell-meta');
const tag = `pwned-${randomUUID().slice(0, 8)}`;
const marker = (what: string): string => path.join(os.tmpdir(), `${tag}-${what}`);

/** Each would create a marker file (or expand, or split) if any shell interpreted it. */
const hostile = [
  `$(touch ${marker('dollar')})`,
  `\`touch ${marker('backtick')}\``,
  `; touch ${marker('semicolon')}; rm -rf ${marker('rmrf')}`,
  `| touch ${marker('pipe')}`,
  `&& touch ${marker('and')}`,
  `|| touch ${marker('or')}`,
  `> ${marker('redirect')}`,
  '*',
  '~/.ssh/*',
  `line one\ntouch ${marker('newline')}`,
  `'single' "double" \\backslash`,
  '$HOME ${PATH} $0 $@',
  `& touch ${marker('background')} &`,
  ' leading and trailing spaces ',
  '--flag=$(id -u)',
];
const hostileEnv: Record<string, string> = Object.fromEntries(hostile.filter(Boolean).map((value, i) => [`HOSTILE_${i}`, value]));

// Writes {argv, env} of what it received, exactly; run as a compile step and as a figure script.
const echoScript = `
import { writeFileSync, mkdirSync } from 'node:fs';
const [out, ...argv] = process.argv.slice(2);
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('HOSTILE_')));
writeFileSync(out, JSON.stringify({ argv, env }));
if (process.env.ECHO_PKL) { mkdirSync('data/compiled', { recursive: true }); writeFileSync(process.env.ECHO_PKL, 'figure'); }
`;

suiteHooks(() => startServerWithWorker(taskQueue), (suite) => (env = suite.env));
// Registered after suiteHooks, so it runs once the worker and server are down.
after(async () => {
  if (site) await rm(site.dir, { recursive: true, force: true });
  for (const f of (await readdir(os.tmpdir())).filter((n) => n.startsWith(tag))) await rm(path.join(os.tmpdir(), f), { force: true });
});

test('shell metacharacters in a compile step and a figure script reach the program as literal argv and env', async () => {
  site = await makeSampleSite({
    units: 2,
    unitMs: 10,
    edit: (config) => {
      const steps = config.compile.steps as Record<string, unknown>[];
      steps.push({ name: 'echo', command: ['node', 'echo-argv.mjs', 'step-echo.json', ...hostile], env: hostileEnv });
      (config as Record<string, unknown>).figures = [
        { name: 'echo', command: ['node', 'echo-argv.mjs', 'figure-echo.json', ...hostile], env: { ...hostileEnv, ECHO_PKL: 'data/compiled/echo.pkl' }, outputs: ['data/compiled/echo.pkl'] },
      ];
    },
  });
  await writeFile(path.join(site.dir, 'echo-argv.mjs'), echoScript);
  const result = await env.client.workflow.execute(compileWorkflow, { taskQueue, workflowId: `shell-meta-${Date.now()}`, args: [{ configPath: site.configPath }] });
  assert.deepEqual(result.steps.map((s) => s.name), ['expression', 'interactions', 'echo']);
  assert.deepEqual(result.figures, ['echo']);

  for (const file of ['step-echo.json', 'figure-echo.json']) {
    const seen = JSON.parse(await readFile(path.join(site.dir, file), 'utf8')) as { argv: string[]; env: Record<string, string> };
    assert.deepEqual(seen.argv, hostile, `${file}: argv arrived as written, one element per argument, spaced ones included`);
    assert.deepEqual(seen.env, hostileEnv, `${file}: env values arrived as written`);
  }
  const markers = (await readdir(os.tmpdir())).filter((n) => n.startsWith(tag));
  assert.deepEqual(markers, [], 'no payload ran: no marker file exists');
});
