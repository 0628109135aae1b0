import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from './helpers/sample-site.js';

const run = promisify(execFile);

// The supported deployments of the worker, checked for what keeps a day-long compile alive and a
// real site's scripts runnable. test/worker-supervisor.test.ts runs the image's supervisor itself.

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; additional_contexts?: Record<string, string>; args?: Record<string, string> };
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
  restart?: string;
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

  // The compose server by default; a worker-only machine points it at the first machine's.
  assert.equal(worker.environment?.TEMPORAL_ADDRESS, '${TEMPORAL_ADDRESS:-temporal:7233}');
  assert.equal(worker.environment?.TEMPORAL_TASK_QUEUE, 'release-runbook');
  assert.ok(worker.environment?.RUNBOOK_CONFIG, 'the worker is told where its site config is');
  assert.ok(worker.depends_on && 'temporal' in worker.depends_on);
  assert.ok(worker.volumes?.some((v) => v.endsWith(':/site')), 'the site dir is mounted');

  const dockerfile = await readFile(path.join(repoRoot, worker.build!.context, worker.build!.dockerfile), 'utf8');
  // Two stages: one with the dev dependencies builds, the other runs the build alone.
  const [build = '', runtime = ''] = dockerfile.split(/^(?=FROM )/m).filter((stage) => stage.startsWith('FROM '));
  assert.match(build, /^FROM node:20\S* AS build$/m);
  assert.match(build, /^RUN npm ci --no-audit --no-fund$/m, 'the build stage has the dev dependencies');
  assert.match(build, /^RUN npm run build$/m);
  // Every source dir the build compiles (tsconfig.build.json's program) is copied into the build stage.
  const { stdout: files } = await run(path.join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--listFilesOnly'], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 });
  const sourceDirs = new Set(files.split('\n').map((f) => path.relative(repoRoot, f.trim())).filter((f) => f && !f.startsWith('..') && !f.startsWith('node_modules')).map((f) => f.split(path.sep)[0]));
  assert.ok(sourceDirs.has('worker') && sourceDirs.has('workflows'), [...sourceDirs].join(' '));
  for (const dir of sourceDirs) assert.match(build, new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'), `the build stage copies ${dir}/`);
  assert.match(build, /^COPY tsconfig\.json tsconfig\.build\.json \.\/$/m);
  assert.match(runtime, /^FROM node:20\S*$/m);
  assert.match(runtime, /^COPY package\.json package-lock\.json \.\/$/m, 'package.json makes dist/ ES modules');
  assert.match(runtime, /^RUN npm ci --omit=dev --no-audit --no-fund$/m);
  assert.match(runtime, /^COPY --from=build \/app\/dist \.\/dist$/m);
  // The runtime stage takes no sources: only dist/ and the supervisor's conf.
  const copied = [...runtime.matchAll(/^COPY (?!--from=)(.*) \S+$/gm)].map((m) => m[1]);
  assert.deepEqual(copied, ['package.json package-lock.json', 'worker/supervisord.conf']);
  const ignored = (await readFile(path.join(repoRoot, '.dockerignore'), 'utf8')).split('\n');
  for (const entry of ['node_modules', 'dist']) assert.ok(ignored.includes(entry), `.dockerignore leaves out ${entry}: the image makes its own`);

  // PID 1 is supervisord with the conf the supervisor test runs, not the worker: the death of a
  // container's PID 1 would end the compile step the worker started.
  assert.match(dockerfile, /^CMD \["supervisord", "-c", "\/app\/worker\/supervisord\.conf"\]$/m);
  assert.match(dockerfile, /apt-get install[^\n]* supervisor\b/);
  assert.match(dockerfile, /^ENV RUNBOOK_SUPERVISOR_RUN_DIR=\/run$/m);
  const conf = await readFile(path.join(repoRoot, 'worker', 'supervisord.conf'), 'utf8');
  const script = (JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
  assert.equal(script, 'node dist/worker/main.js');
  assert.equal(/^command=(.*)$/m.exec(conf)?.[1], script, 'supervisord starts the compiled worker as `npm start` does');
  assert.match(conf, /^autorestart=true$/m);
  assert.match(conf, /^stopasgroup=false$/m);
  assert.match(conf, /^killasgroup=false$/m);
  assert.equal(worker.restart, 'unless-stopped');

  // `python` resolves (the ContactTracing config runs `python`, not `python3`), to a venv that
  // holds the site's own requirements, taken from the site dir by a build argument.
  assert.match(dockerfile, /^RUN python3 -m venv \/opt\/site-python$/m);
  assert.match(dockerfile, /^ENV PATH=\/opt\/site-python\/bin:\$PATH$/m);
  assert.match(dockerfile, /^ARG SITE_REQUIREMENTS=requirements\.txt$/m);
  assert.match(dockerfile, /COPY --from=site runbook\.config\.json \$\{SITE_REQUIREMENTS\}\* \/tmp\/site\//);
  assert.match(dockerfile, /pip install [^\n]*-r "\$requirements"/);
  const siteVolume = worker.volumes?.find((v) => v.endsWith(':/site'))?.replace(/:\/site$/, '');
  assert.equal(worker.build?.additional_contexts?.site, siteVolume, 'the requirements come from the site dir the worker mounts');
  assert.match(worker.build?.args?.SITE_REQUIREMENTS ?? '', /^\$\{RUNBOOK_SITE_REQUIREMENTS:-requirements\.txt\}$/);
  // A container's hostname changes at each recreate: the host id must be given, with the fix.
  assert.match(worker.environment?.RUNBOOK_HOST_ID ?? '', /^\$\{RUNBOOK_HOST_ID:\?set RUNBOOK_HOST_ID .+\}$/);
});

test('the image’s venv gives `python` and installs the site’s requirements (the Dockerfile’s own RUN line, run here)', async () => {
  // The Dockerfile's RUN line, not a copy of it: the requirements step is executed as written.
  const dockerfile = await readFile(path.join(repoRoot, 'worker', 'Dockerfile'), 'utf8');
  const install = /^RUN (requirements=(?:.*\\\n)*.*)$/m.exec(dockerfile)?.[1];
  assert.ok(install, 'the requirements RUN line');
  const root = await mkdtemp(path.join(os.tmpdir(), 'runbook-image-'));
  try {
    const venv = path.join(root, 'site-python');
    await run('python3', ['-m', 'venv', venv]);
    const imageEnv = { ...process.env, PATH: `${venv}/bin:${process.env.PATH ?? ''}` };
    const stage = async (files: Record<string, string>): Promise<string> => {
      const dir = await mkdtemp(path.join(root, 'site-'));
      for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
      return install.replaceAll('/tmp/site', dir);
    };
    // A site without requirements: the step passes and installs nothing.
    await run('sh', ['-c', await stage({ 'runbook.config.json': '{}' })], { env: { ...imageEnv, SITE_REQUIREMENTS: 'requirements.txt' } });
    // A site with them (as the COPY leaves them: under their base name).
    await run('sh', ['-c', await stage({ 'runbook.config.json': '{}', 'requirements.txt': 'six==1.16.0\n' })], { env: { ...imageEnv, SITE_REQUIREMENTS: 'python/requirements.txt' } });
    const { stdout } = await run('sh', ['-c', 'command -v python && python -c "import six; print(six.__version__)"'], { env: { PATH: `${venv}/bin:/usr/bin:/bin` } });
    assert.deepEqual(stdout.trim().split('\n'), [path.join(venv, 'bin', 'python'), '1.16.0'], '`python` is the venv’s, with the site’s package');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the systemd unit leaves a running step alone when the worker stops or restarts, and systemd accepts it', async () => {
  const unit = path.join(repoRoot, 'worker', 'release-runbook-worker.service');
  const text = await readFile(unit, 'utf8');
  const service = Object.fromEntries([...text.matchAll(/^(\w+)=(.*)$/gm)].filter((m) => m[1] !== 'Environment').map((m) => [m[1], m[2]]));
  assert.equal(service.KillMode, 'process', 'only the worker is signalled; its steps keep running in the cgroup');
  assert.equal(service.Restart, 'always');
  const script = (JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
  assert.equal(service.ExecStart, `/usr/bin/${script}`, 'the unit starts the compiled worker as `npm start` does');
  assert.match(text, /^Environment=RUNBOOK_HOST_ID=/m);
  // systemd's own parser: an unknown key or a misspelt kill mode is reported on stderr.
  const { stderr } = await run('systemd-analyze', ['verify', unit]).catch((err: { stderr?: string }) => ({ stderr: err.stderr ?? String(err) }));
  assert.equal(stderr.split('\n').filter((l) => l && !/Cannot add dependency job|network-online/.test(l)).join('\n'), '');
});
