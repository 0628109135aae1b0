import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers/sample-site.js';

// `npm run demo` is what a new user runs first: it must finish on its own, clean up after
// itself, and leave no Transfer server alive.
test('npm run demo -- --json runs the whole release on embedded defaults and ends with alive=0', async () => {
  const demoDir = await mkdtemp(path.join(os.tmpdir(), 'runbook-demo-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'client', 'demo.ts'), '--json', '--port', '0', '--units', '3', '--unit-ms', '100'], {
    cwd: repoRoot,
    env: { ...process.env, RUNBOOK_DEMO_DIR: demoDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(code, 0, `demo failed:\n${stderr.slice(-3000)}`);
  const summary = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    workflowId: string;
    status: string;
    stages: { stage: string; durationMs: number; result: string }[];
    ledger: { alive: number; billedSeconds: number };
    notifications: { sent: string[]; failingChannels: string[] };
  };
  assert.equal(summary.status, 'COMPLETED');
  assert.deepEqual(summary.stages.map((s) => [s.stage, s.result]), [['compile', 'ok'], ['figures', 'ok'], ['sync', 'ok'], ['image', 'ok'], ['deploy', 'ok']]);
  assert.ok(summary.stages.every((s) => s.durationMs > 0));
  assert.equal(summary.ledger.alive, 0);
  assert.ok(summary.ledger.billedSeconds > 0, 'a Transfer server was used and billed');
  // What a person watching sees: the UI link, the approval, progress.
  assert.match(stderr, /UI http:\/\/127\.0\.0\.1:\d+/);
  assert.match(stderr, /approving in 3 s as "demo"/);
  assert.match(stderr, /compile\+figures › compiling/);
  // Both local channels were told, and the Slack stand-in printed what it got.
  const events = ['release-started', 'approval-needed', 'approval-decided', 'release-finished'];
  assert.deepEqual(summary.notifications.sent, events.flatMap((e) => [`slack: ${e}`, `ops-email: ${e}`]));
  assert.deepEqual(summary.notifications.failingChannels, []);
  assert.match(stderr, /\[slack\] sample-site: release waits for approval to deploy /);
  await rm(demoDir, { recursive: true, force: true });
});
