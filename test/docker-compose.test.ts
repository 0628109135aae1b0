import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from './helpers/sample-site.js';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
}

// No Docker engine runs here, so the compose file is checked for what a team relies on.
test('docker-compose.yml wires Temporal on PostgreSQL, the UI on 8080 and the worker', async () => {
  const compose = parse(await readFile(path.join(repoRoot, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
  const { postgresql, temporal, 'temporal-ui': ui, worker } = compose.services;
  assert.ok(postgresql && temporal && ui && worker, 'services postgresql, temporal, temporal-ui, worker');

  assert.match(postgresql.image ?? '', /^postgres:\d+/);
  assert.match(temporal.image ?? '', /^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
  assert.equal(temporal.environment?.DB, 'postgres12');
  assert.equal(temporal.environment?.POSTGRES_SEEDS, 'postgresql');
  assert.equal(temporal.environment?.POSTGRES_USER, postgresql.environment?.POSTGRES_USER);
  assert.equal(temporal.environment?.POSTGRES_PWD, postgresql.environment?.POSTGRES_PASSWORD);
  assert.ok(temporal.ports?.includes('7233:7233'));

  assert.match(ui.image ?? '', /^temporalio\/ui:\d+\.\d+\.\d+$/);
  assert.ok(ui.ports?.includes('8080:8080'));
  assert.equal(ui.environment?.TEMPORAL_ADDRESS, 'temporal:7233');

  assert.equal(worker.environment?.TEMPORAL_ADDRESS, 'temporal:7233');
  assert.equal(worker.environment?.TEMPORAL_TASK_QUEUE, 'release-runbook');
  assert.ok(worker.environment?.RUNBOOK_CONFIG, 'the worker is told where its site config is');
  assert.ok(worker.depends_on && 'temporal' in worker.depends_on);
  assert.ok(worker.volumes?.some((v) => v.endsWith(':/site')), 'the site dir is mounted');

  const dockerfile = await readFile(path.join(repoRoot, worker.build!.context, worker.build!.dockerfile), 'utf8');
  assert.match(dockerfile, /^FROM node:20/m);
  assert.match(dockerfile, /npm ci --omit=dev/);
  assert.match(dockerfile, /CMD \["node", "--import", "tsx", "worker\/main\.ts"\]/);
  // Everything the worker imports at run time is copied into the image.
  for (const dir of ['activities', 'config', 'workflows', 'worker']) assert.match(dockerfile, new RegExp(`COPY ${dir} `));
});
