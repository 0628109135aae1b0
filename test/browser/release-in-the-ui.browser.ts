import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import type { Browser } from 'puppeteer-core';
import type { ReleaseResult } from '../../workflows/release.js';
import type { ReleaseStatus } from '../../workflows/release-status.js';
import { repoRoot } from '../helpers/sample-site.js';
import { startPlayground, type Playground } from './playground.js';
import { launchChromium, UiDriver } from './ui-driver.js';
import { deployedResult } from '../helpers/deploy-outcome.js';

// The README's UI path, as a person takes it in a real browser against `npm run demo -- --serve`.
// Screenshots of every step land in test-artifacts/ui/ (gitignored).
const artifacts = path.join(repoRoot, 'test-artifacts', 'ui');

let demoDir: string;
let playground: Playground | undefined;
let browser: Browser | undefined;
let connection: Connection | undefined;

before(async () => {
  demoDir = await mkdtemp(path.join(os.tmpdir(), 'runbook-ui-'));
  await rm(artifacts, { recursive: true, force: true });
  playground = await startPlayground(demoDir, 600_000);
  browser = await launchChromium();
  connection = await Connection.connect({ address: playground.address });
});

after(async () => {
  await browser?.close();
  await connection?.close();
  // Ctrl-C ends the playground cleanly (exit 0): nothing is left running.
  const code = await playground?.stop();
  assert.equal(code, 0, `the playground did not stop cleanly:\n${playground?.log().slice(-2000) ?? ''}`);
  await rm(demoDir, { recursive: true, force: true });
});

test('start a release from the UI, see its gate in its own Queries tab, approve with Send a Signal, find it by RunbookSite', async () => {
  assert.ok(playground && browser && connection);
  const ui = await UiDriver.open(browser, playground.ui, artifacts);
  const { page } = ui;
  const client = new Client({ connection, namespace: playground.namespace });
  const workflowId = `release-from-ui-${Date.now()}`;
  const ns = playground.namespace;

  await ui.step('workflows-list', async () => {
    await ui.goto(`/namespaces/${ns}/workflows`);
    // The demo's own release is done and listed; it let go of the site's lock when it ended.
    await ui.waitForText('release-sample-site');
  });

  await ui.step('start-workflow-form', async () => {
    await (await ui.visible(`a[href^="/namespaces/${ns}/workflows/start-workflow"]`)).click();
    await page.waitForSelector('#workflowId');
    await page.type('#workflowId', workflowId);
    await page.type('#taskQueue', playground!.taskQueue);
    await page.type('#workflowType', 'releaseWorkflow');
    await ui.typeJson('[contenteditable="true"][data-language="json"]', '{}');
    await ui.waitForText('Task Queue is Active');
  });

  await ui.step('workflow-started', async () => {
    await ui.clickButton('Start Workflow');
    await ui.waitForText('Workflow started successfully');
  });

  // The release's own Queries tab, query "status", refreshed as a person would until the gate.
  const gate = await ui.step('gate-in-queries-tab', async () => {
    await ui.goto(`/namespaces/${ns}/workflows/${workflowId}`);
    await (await ui.visible('[data-testid="queries-tab"]')).click();
    const deadline = Date.now() + 300_000;
    for (;;) {
      // "Run Query" the first time, "Refresh Query" after.
      await (await ui.visible('xpath/.//button[normalize-space(.)="Run Query" or normalize-space(.)="Refresh Query"]')).click();
      const answer = await waitForEditor(ui, (text) => text.includes('"workflow": "release"'), 30_000);
      const status = JSON.parse(answer) as ReleaseStatus;
      if (status.workflowId === workflowId && status.waiting?.for === 'approval') return status;
      if (status.stage === 'failed') assert.fail(`the release failed before its gate: ${status.error ?? ''}`);
      if (Date.now() > deadline) assert.fail(`no gate within 300 s; last status: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  });
  // Everything a person needs to decide is in the release's own status.
  assert.equal(gate.waiting?.workflowId, `${workflowId}-deploy`);
  assert.match(gate.waiting?.what ?? '', /digest sha256:[0-9a-f]{64}\) as sample-site-.* on sample-site-prod; settings: /);
  assert.match(gate.waiting?.ui ?? '', new RegExp(`open workflow ${workflowId}, More Actions → Send a Signal "approveDeploy"`));
  assert.match(gate.waiting?.cli ?? '', new RegExp(`npm run approve -- ${workflowId}`));
  assert.equal(gate.waiting?.until, gate.approval?.deadline);
  assert.deepEqual(gate.stages.map((s) => [s.stage, s.state]), [['compile', 'completed'], ['figures', 'completed'], ['sync', 'completed'], ['image', 'waiting'], ['deploy', 'waiting']]);

  await ui.step('send-a-signal', async () => {
    await ui.clickButton('More Actions');
    await (await ui.visible('[data-testid="signal-button"]')).click();
    const dialog = '[data-testid="signal-confirmation-modal"]';
    await ui.choose(`${dialog} [data-testid="signal-select-button"]`, `${dialog} #signal-select`, 'approveDeploy');
    await ui.typeJson(`${dialog} [contenteditable="true"][data-language="json"]`, '{"by":"ui-test","note":"approved in the browser"}');
    // Still the signal chosen, after the keys went to the editor.
    assert.equal(await ui.chosen(`${dialog} #signal-select`), 'approveDeploy');
    await (await ui.visible(`${dialog} [data-testid="confirm-modal-button"]`)).click();
    await ui.waitForText('Workflow signaled');
  });
  // The server got what the dialog showed: a wrong signal fails here, not after a 300 s wait.
  const signals = (await client.workflow.getHandle(workflowId).fetchHistory()).events
    ?.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName)
    .filter((name) => name === 'approveDeploy' || name === 'rejectDeploy');
  assert.deepEqual(signals, ['approveDeploy']);

  await ui.step('completed-with-approver', async () => {
    // The page shows the run's Result once it completes; reloaded now and then as a person would.
    const deadline = Date.now() + 300_000;
    for (;;) {
      await ui.goto(`/namespaces/${ns}/workflows/${workflowId}`);
      const shown = await waitForEditor(ui, (text) => text.includes('"approvedBy": "ui-test"'), 15_000).catch(() => undefined);
      if (shown) break;
      if (Date.now() > deadline) assert.fail('the run did not show a result approved by ui-test within 300 s');
    }
    await ui.waitForText('Workflow Execution Completed');
  });
  // What the page showed is what the server holds.
  const result = (await client.workflow.getHandle(workflowId).result()) as ReleaseResult;
  assert.equal(deployedResult(result.deploy).approvedBy, 'ui-test');
  assert.equal(deployedResult(result.deploy).approvalNote, 'approved in the browser');

  await ui.step('list-filtered-by-site', async () => {
    await ui.goto(`/namespaces/${ns}/workflows`);
    await (await ui.visible('[data-testid="toggle-manual-query"]')).click();
    const query = await ui.visible('[data-testid="manual-search-input"]');
    await query.type('RunbookSite = "sample-site"');
    await query.press('Enter');
    // The list refreshes to the filter: both releases of the site, none of their children
    // (children carry no RunbookSite), the demo's own release included.
    const child = `${workflowId}-deploy`;
    await page.waitForFunction(
      `!!document.querySelector(${JSON.stringify(`a[href*="/workflows/${workflowId}/"]`)}) && ` +
        `!!document.querySelector('a[href*="/workflows/release-sample-site/"]') && ` +
        `!document.querySelector(${JSON.stringify(`a[href*="/workflows/${child}/"]`)})`,
      { timeout: 60_000 },
    );
    assert.equal(new URL(page.url()).searchParams.get('query'), 'RunbookSite = "sample-site"');
  });
});

/** The text of the first read-only editor on the page that satisfies `wanted`, once there is one. */
async function waitForEditor(ui: UiDriver, wanted: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await ui.editorTexts()).find(wanted);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no editor on ${ui.page.url()} shows what was expected within ${timeoutMs / 1000}s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
