import { execFile } from 'node:child_process';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CatalogueSite, SiteConfig } from './site.js';

// The bad input catalogue: what a person (or a broken compile) really hands the runbook, and
// the one sentence each must be refused with. Every entry fails fast, non-retryably, names
// its field, and leaves nothing provisioned; test/bad-input-catalogue.test.ts proves it and
// writes the table in docs/RELIABILITY.md.

export type Where = 'config' | 'UI input' | 'CLI' | 'data dir';
export type WorkflowType = 'compileWorkflow' | 'syncDataWorkflow' | 'deployWorkflow' | 'releaseWorkflow' | 'sftpJanitorWorkflow';
export type CliScript = 'start-workflow' | 'schedule' | 'approve' | 'reject' | 'status';

/** Started by workflow type name, with the input a person would type into the UI. */
export interface WorkflowEntry {
  where: Exclude<Where, 'CLI'>;
  /** As shown in the catalogue. */
  input: string;
  workflow: WorkflowType;
  /**
   * The raw JSON typed into the UI. Without `site`, the worker's own config (RUNBOOK_CONFIG)
   * serves it; with `site`, `configPath` of that site is added.
   */
  json?: string;
  /** A site of its own: its config edited, or its data dir broken. */
  site?: { edit?: (config: SiteConfig) => void; prepare?: (site: CatalogueSite) => Promise<void> };
  type: string;
  /** Must name the field; matched against the innermost failure's message. */
  message: RegExp;
  /** A visible reason this entry cannot run here. */
  skip?: () => string | undefined;
}

export interface CliEntry {
  where: 'CLI';
  input: string;
  script: CliScript;
  args: (ctx: CliContext) => string[];
  message: RegExp;
}

export interface CliContext {
  /** A site whose config is broken (aws.region "eu-north-9"). */
  badRegionConfig: string;
  /** A release that already failed: nothing waits for approval there. */
  failedReleaseId: string;
}

export type Entry = WorkflowEntry | CliEntry;

const run = promisify(execFile);
const step0 = (config: SiteConfig): Record<string, unknown> => config.compile.steps[0] as Record<string, unknown>;
const section = (config: SiteConfig, name: string): Record<string, unknown> => config[name] as Record<string, unknown>;

const configEntries: WorkflowEntry[] = [
  {
    where: 'config',
    input: 'compile.steps[0].command: "python viz/data.py" (a shell string)',
    workflow: 'compileWorkflow',
    site: { edit: (c) => (step0(c).command = 'python viz/data.py') },
    type: 'InvalidConfig',
    message: /compile\.steps\[0\]\.command must be an argv array such as \["python", "viz\/data\.py"\], not a shell string/,
  },
  {
    where: 'config',
    input: 'compile.steps[0].timeoutHours: -1',
    workflow: 'compileWorkflow',
    site: { edit: (c) => (step0(c).timeoutHours = -1) },
    type: 'InvalidConfig',
    message: /compile\.steps\[0\]\.timeoutHours must be greater than 0/,
  },
  {
    where: 'config',
    input: 'aws.region: "us-middle-7" (malformed)',
    workflow: 'releaseWorkflow',
    site: { edit: (c) => (section(c, 'aws').region = 'us-middle-7') },
    type: 'InvalidConfig',
    message: /aws\.region must be an AWS region such as "us-east-1"/,
  },
  {
    where: 'config',
    input: 'aws.region: "eu-north-9" (well-formed, does not exist)',
    workflow: 'syncDataWorkflow',
    site: { edit: (c) => (section(c, 'aws').region = 'eu-north-9') },
    type: 'InvalidConfig',
    message: /aws\.region must be an AWS region such as "us-east-1"/,
  },
  {
    where: 'config',
    input: 'unknown top-level key "transfr" (a typo of "transfer")',
    workflow: 'releaseWorkflow',
    site: { edit: (c) => (c.transfr = c.transfer) },
    type: 'InvalidConfig',
    message: /unknown key "transfr": remove it or fix its spelling/,
  },
  {
    where: 'config',
    input: 'compile.maxAttempts: "5" (a string)',
    workflow: 'compileWorkflow',
    site: { edit: (c) => (section(c, 'compile').maxAttempts = '5') },
    type: 'InvalidConfig',
    message: /compile\.maxAttempts must be a number/,
  },
  {
    where: 'config',
    input: 'compile.steps[0].name: "../../etc" (names the log dir)',
    workflow: 'compileWorkflow',
    site: { edit: (c) => (step0(c).name = '../../etc') },
    type: 'InvalidConfig',
    message: /compile\.steps\[0\]\.name must be a short name of letters, digits/,
  },
  {
    where: 'config',
    input: 'compile.progressPattern: "progress (\\d+" (unbalanced)',
    workflow: 'compileWorkflow',
    site: { edit: (c) => (section(c, 'compile').progressPattern = 'progress (\\d+') },
    type: 'InvalidConfig',
    message: /compile\.progressPattern must be a valid regular expression/,
  },
  {
    where: 'config',
    input: 'compile.steps[0].env.SAMPLE_UNITS: 4 (a number)',
    workflow: 'compileWorkflow',
    site: { edit: (c) => ((step0(c).env as Record<string, unknown>).SAMPLE_UNITS = 4) },
    type: 'InvalidConfig',
    message: /compile\.steps\[0\]\.env\.SAMPLE_UNITS must be a string/,
  },
  {
    where: 'config',
    input: 'compile.steps: two steps named "interactions"',
    workflow: 'compileWorkflow',
    site: { edit: (c) => (step0(c).name = 'interactions') },
    type: 'InvalidConfig',
    message: /compile\.steps step names must be unique/,
  },
  {
    where: 'config',
    input: 'compile.outputDir: "../.." (holds the site dir)',
    workflow: 'compileWorkflow',
    site: { edit: (c) => (section(c, 'compile').outputDir = '../..') },
    type: 'InvalidConfig',
    message: /compile\.outputDir "\.\.\/\.\." resolves to .*, which holds the site dir .*: point it at a directory of its own/,
  },
  {
    where: 'config',
    input: 'data.remoteDir: "data" (relative)',
    workflow: 'syncDataWorkflow',
    site: { edit: (c) => (section(c, 'data').remoteDir = 'data') },
    type: 'InvalidConfig',
    message: /data\.remoteDir must be an absolute path on the file system, such as "\/data"/,
  },
  {
    where: 'config',
    input: 'data.remoteDir: "/data/../.." (climbs out)',
    workflow: 'syncDataWorkflow',
    site: { edit: (c) => (section(c, 'data').remoteDir = '/data/../..') },
    type: 'InvalidConfig',
    message: /data\.remoteDir must not contain "\.\."/,
  },
  {
    where: 'config',
    input: 'transfer.userRole: "arn:aws:iam::12345:role/x y"',
    workflow: 'syncDataWorkflow',
    site: { edit: (c) => (section(c, 'transfer').userRole = 'arn:aws:iam::12345:role/x y') },
    type: 'InvalidRole',
    message: /transfer\.userRole "arn:aws:iam::12345:role\/x y" must be an IAM role ARN/,
  },
  {
    where: 'config',
    input: 'transfer.userRole: "aws-elasticbeanstalk-ec2-role" (trusts only EC2)',
    workflow: 'syncDataWorkflow',
    site: { edit: (c) => (section(c, 'transfer').userRole = 'aws-elasticbeanstalk-ec2-role') },
    type: 'RoleNotUsable',
    message: /transfer\.userRole: the role aws-elasticbeanstalk-ec2-role does not trust transfer\.amazonaws\.com .*: add transfer\.amazonaws\.com to its trust policy/,
  },
  {
    where: 'config',
    input: 'beanstalk.keepVersions: 1 (the rollback target would go)',
    workflow: 'deployWorkflow',
    site: { edit: (c) => (section(c, 'beanstalk').keepVersions = 1) },
    type: 'InvalidConfig',
    message: /beanstalk\.keepVersions must be at least 2, so the rollback target is kept/,
  },
  {
    where: 'config',
    input: 'transfer.efsFileSystem: "fs-0000000000000dead" (no such file system)',
    workflow: 'syncDataWorkflow',
    site: { edit: (c) => (section(c, 'transfer').efsFileSystem = 'fs-0000000000000dead') },
    type: 'FileSystemNotFound',
    message: /transfer\.efsFileSystem "fs-0000000000000dead" is not an EFS file system in us-east-1/,
  },
  {
    where: 'config',
    input: 'transfer.maxServerHours: 0',
    workflow: 'syncDataWorkflow',
    site: { edit: (c) => (section(c, 'transfer').maxServerHours = 0) },
    type: 'InvalidConfig',
    message: /transfer\.maxServerHours must be greater than 0/,
  },
  {
    where: 'config',
    input: 'no "transfer" section, release of every stage',
    workflow: 'releaseWorkflow',
    site: { edit: (c) => delete c.transfer },
    type: 'InvalidConfig',
    message: /has no "transfer" section, which the "sync" stage needs: add one such as/,
  },
  {
    where: 'config',
    input: 'beanstalk.environment: "prod_site!"',
    workflow: 'deployWorkflow',
    site: { edit: (c) => (section(c, 'beanstalk').environment = 'prod_site!') },
    type: 'InvalidConfig',
    message: /beanstalk\.environment must be 4 to 40 letters, digits or hyphens/,
  },
  {
    where: 'config',
    input: 'image.tag: "v1 beta"',
    workflow: 'deployWorkflow',
    site: { edit: (c) => (section(c, 'image').tag = 'v1 beta') },
    type: 'InvalidConfig',
    message: /image\.tag must be a valid Docker tag/,
  },
  {
    where: 'config',
    input: 'image.repository: "docker.io/library/ct-site" (not ECR)',
    workflow: 'deployWorkflow',
    site: { edit: (c) => (section(c, 'image').repository = 'docker.io/library/ct-site') },
    type: 'InvalidConfig',
    message: /image\.repository "docker\.io\/library\/ct-site" must be an ECR Public URI/,
  },
  {
    where: 'config',
    input: 'aws.endpoint: "localhost:4566" (no scheme)',
    workflow: 'deployWorkflow',
    site: { edit: (c) => (section(c, 'aws').endpoint = 'localhost:4566') },
    type: 'InvalidConfig',
    message: /aws\.endpoint must be a URL such as "http:\/\/127\.0\.0\.1:4566"/,
  },
  {
    where: 'config',
    input: 'configPath: "/nonexistent/runbook.config.json" (no such file)',
    workflow: 'compileWorkflow',
    json: '{"configPath": "/nonexistent/runbook.config.json"}',
    type: 'InvalidConfig',
    message: /Config file \/nonexistent\/runbook\.config\.json does not exist: pass --config FILE or set RUNBOOK_CONFIG/,
  },
  {
    where: 'config',
    input: 'runbook.config.json cut off mid-object (invalid JSON)',
    workflow: 'compileWorkflow',
    site: { prepare: (site) => writeFile(site.configPath, '{ "site": "sample-site", ') },
    type: 'InvalidConfig',
    message: /Config file .*runbook\.config\.json is not valid JSON .*: fix the syntax/,
  },
];

const uiEntries: WorkflowEntry[] = [
  { where: 'UI input', input: 'compileWorkflow {"skipFigure": true}', workflow: 'compileWorkflow', json: '{"skipFigure": true}', type: 'InvalidInput', message: /compileWorkflow input has unknown key "skipFigure": remove it or fix its spelling/ },
  { where: 'UI input', input: 'compileWorkflow {"steps": "expression"}', workflow: 'compileWorkflow', json: '{"steps": "expression"}', type: 'InvalidInput', message: /field "steps" must be a list of step names, such as \["compile"\]/ },
  { where: 'UI input', input: 'compileWorkflow {"steps": ["expresion"]}', workflow: 'compileWorkflow', json: '{"steps": ["expresion"]}', type: 'InvalidInput', message: /unknown step "expresion": use one of "expression", "interactions"/ },
  { where: 'UI input', input: 'releaseWorkflow {"stages": ["compile", "deplooy"]}', workflow: 'releaseWorkflow', json: '{"stages": ["compile", "deplooy"]}', type: 'InvalidInput', message: /field "stages\.1" must each be one of "compile", "figures", "sync", "image", "deploy", "restart"/ },
  { where: 'UI input', input: 'releaseWorkflow {"stages": []}', workflow: 'releaseWorkflow', json: '{"stages": []}', type: 'InvalidInput', message: /field "stages" must name at least one stage/ },
  { where: 'UI input', input: 'releaseWorkflow {"stages": ["deploy", "restart"]}', workflow: 'releaseWorkflow', json: '{"stages": ["deploy", "restart"]}', type: 'InvalidInput', message: /field "stages" cannot hold both "deploy" and "restart"/ },
  { where: 'UI input', input: 'releaseWorkflow {"autoApprove": "yes"}', workflow: 'releaseWorkflow', json: '{"autoApprove": "yes"}', type: 'InvalidInput', message: /field "autoApprove" must be true or false/ },
  { where: 'UI input', input: 'releaseWorkflow "sample-site" (a string, not an object)', workflow: 'releaseWorkflow', json: '"sample-site"', type: 'InvalidInput', message: /releaseWorkflow input must be a JSON object such as \{"site": "contact-tracing"\} \(or \{\}\), not a string/ },
  { where: 'UI input', input: 'releaseWorkflow {"site": "contact-tracing"} (the worker serves sample-site)', workflow: 'releaseWorkflow', json: '{"site": "contact-tracing"}', type: 'InvalidInput', message: /site "contact-tracing" is not the site this worker's config serves \("sample-site"/ },
  { where: 'UI input', input: 'releaseWorkflow {"configPath": "runbook.config.json"} (relative)', workflow: 'releaseWorkflow', json: '{"configPath": "runbook.config.json"}', type: 'InvalidInput', message: /field "configPath" must be an absolute path to a runbook\.config\.json/ },
  { where: 'UI input', input: 'syncDataWorkflow {"localDir": "no/such/dir"}', workflow: 'syncDataWorkflow', json: '{"localDir": "no/such/dir"}', type: 'InvalidDataDir', message: /input "localDir" .*no\/such\/dir does not exist: run the compile first, or point input "localDir" at the directory to upload/ },
  { where: 'UI input', input: 'syncDataWorkflow {"dryRun": "true"} (a string)', workflow: 'syncDataWorkflow', json: '{"dryRun": "true"}', type: 'InvalidInput', message: /field "dryRun" must be true or false/ },
  { where: 'UI input', input: 'deployWorkflow {"imageTag": "v1 beta"}', workflow: 'deployWorkflow', json: '{"imageTag": "v1 beta"}', type: 'InvalidInput', message: /field "imageTag" must be a Docker tag such as "2024-06-01" or "latest"/ },
  { where: 'UI input', input: 'sftpJanitorWorkflow {"maxAgeHours": -1}', workflow: 'sftpJanitorWorkflow', json: '{"maxAgeHours": -1}', type: 'InvalidInput', message: /field "maxAgeHours" must be greater than 0/ },
];

const isRoot = (): boolean => process.getuid?.() === 0;

const dataEntries: WorkflowEntry[] = [
  {
    where: 'data dir',
    input: 'data.localDir missing (no compile yet)',
    workflow: 'syncDataWorkflow',
    site: { prepare: (site) => rm(site.dataDir, { recursive: true }) },
    type: 'InvalidDataDir',
    message: /data\.localDir .*data\/site does not exist: run the compile first, or point data\.localDir at the directory to upload/,
  },
  {
    where: 'data dir',
    input: 'data.localDir is a file',
    workflow: 'syncDataWorkflow',
    site: { prepare: async (site) => (await rm(site.dataDir, { recursive: true }), await writeFile(site.dataDir, 'not a dir')) },
    type: 'InvalidDataDir',
    message: /data\.localDir .*data\/site is not a directory/,
  },
  {
    where: 'data dir',
    input: 'data.localDir empty, deleteExtraneous on',
    workflow: 'syncDataWorkflow',
    site: { prepare: async (site) => (await rm(site.dataDir, { recursive: true }), await mkdir(site.dataDir)) },
    type: 'InvalidDataDir',
    message: /data\.localDir .* is empty and deleteExtraneous is on, which would delete everything under \/data/,
  },
  {
    where: 'data dir',
    input: 'unreadable file (chmod 000)',
    workflow: 'syncDataWorkflow',
    skip: () => (isRoot() ? 'running as root, where chmod 000 does not stop reads; the FIFO, dangling-link and loop entries cover unreadable entries' : undefined),
    site: { prepare: async (site) => (await writeFile(path.join(site.dataDir, 'secret.feather'), 'x'), await chmod(path.join(site.dataDir, 'secret.feather'), 0o000)) },
    type: 'InvalidDataDir',
    message: /data\.localDir .* holds "secret\.feather", a file the worker cannot read: give the worker's user read permission/,
  },
  {
    where: 'data dir',
    input: 'a FIFO named stream.feather (a read blocks forever)',
    workflow: 'syncDataWorkflow',
    site: { prepare: async (site) => void (await run('mkfifo', [path.join(site.dataDir, 'stream.feather')])) },
    type: 'InvalidDataDir',
    message: /data\.localDir .* holds "stream\.feather", a FIFO \(named pipe\), not a regular file: remove it from the data dir/,
  },
  {
    where: 'data dir',
    input: 'a dangling symlink (target deleted)',
    workflow: 'syncDataWorkflow',
    site: { prepare: (site) => symlink('gone/expression.feather', path.join(site.dataDir, 'expression.feather')) },
    type: 'InvalidDataDir',
    message: /data\.localDir .* holds "expression\.feather", a symlink whose target does not exist: remove the link or restore its target/,
  },
  {
    where: 'data dir',
    input: 'a symlink to itself (ELOOP)',
    workflow: 'syncDataWorkflow',
    site: { prepare: (site) => symlink('self.feather', path.join(site.dataDir, 'self.feather')) },
    type: 'InvalidDataDir',
    message: /data\.localDir .* holds "self\.feather", a symlink that loops back on itself/,
  },
  {
    where: 'data dir',
    input: 'a symlink to /etc/passwd',
    workflow: 'syncDataWorkflow',
    site: { prepare: (site) => symlink('/etc/passwd', path.join(site.dataDir, 'users.feather')) },
    type: 'InvalidDataDir',
    message: /data\.localDir .* holds "users\.feather", a symlink to \/etc\/passwd, outside the data dir: copy the file into the data dir or remove the link/,
  },
  {
    where: 'data dir',
    input: 'a symlink "../../runbook.config.json" climbing out of the data dir',
    workflow: 'syncDataWorkflow',
    site: { prepare: (site) => symlink('../../runbook.config.json', path.join(site.dataDir, 'config.json')) },
    type: 'InvalidDataDir',
    message: /data\.localDir .* holds "config\.json", a symlink to .*runbook\.config\.json, outside the data dir/,
  },
  {
    where: 'data dir',
    input: 'a directory symlink figures/up -> .. (a loop)',
    workflow: 'syncDataWorkflow',
    site: { prepare: (site) => symlink('..', path.join(site.dataDir, 'figures', 'up')) },
    type: 'InvalidDataDir',
    message: /data\.localDir .* holds "figures\/up", a symlink to .*data\/site, a directory the walk already covers \(a loop\): remove the link/,
  },
  {
    where: 'data dir',
    input: 'a file name that is not UTF-8 (Latin-1 "caf\\xe9.feather")',
    workflow: 'syncDataWorkflow',
    site: { prepare: (site) => writeFile(Buffer.concat([Buffer.from(`${site.dataDir}/caf`), Buffer.from([0xe9]), Buffer.from('.feather')]), 'x') },
    type: 'InvalidDataDir',
    message: /data\.localDir .* holds "caf\uFFFD\.feather", a name that is not valid UTF-8 .*: rename it/,
  },
  {
    where: 'data dir',
    input: 'a 0-byte feather in the data dir (a truncated write)',
    workflow: 'syncDataWorkflow',
    site: { prepare: (site) => writeFile(path.join(site.dataDir, 'interactions.feather'), '') },
    type: 'InvalidDataDir',
    message: /data\.localDir .* holds "interactions\.feather", an empty \(0-byte\) feather file: re-run the compile that writes it/,
  },
  {
    where: 'data dir',
    input: 'a compile step that writes a 0-byte feather',
    workflow: 'compileWorkflow',
    json: '{"skipFigures": true}',
    site: {
      edit: (c) => {
        (c.compile as Record<string, unknown>).steps = [{ name: 'truncated', command: ['node', '-e', "const fs=require('fs');fs.mkdirSync('data/compiled',{recursive:true});fs.writeFileSync('data/compiled/empty.feather','')"] }];
      },
    },
    type: 'CorruptData',
    message: /Compiled file empty\.feather is empty \(0 bytes\): re-run the step that writes it/,
  },
];

const cliEntries: CliEntry[] = [
  { where: 'CLI', input: 'start-workflow deploi', script: 'start-workflow', args: () => ['deploi'], message: /unknown workflow "deploi": use one of release, compile, deploy, sync, janitor/ },
  { where: 'CLI', input: 'start-workflow (no workflow named)', script: 'start-workflow', args: () => [], message: /name exactly one workflow to start\. Usage: npm run start-workflow/ },
  { where: 'CLI', input: 'start-workflow compile --bogus', script: 'start-workflow', args: () => ['compile', '--bogus'], message: /Unknown option '--bogus'\. Usage: npm run start-workflow/ },
  { where: 'CLI', input: "start-workflow release --input 'not json'", script: 'start-workflow', args: () => ['release', '--input', 'not json'], message: /--input is not valid JSON .*: pass an object such as/ },
  { where: 'CLI', input: 'start-workflow release --input \'["compile"]\'', script: 'start-workflow', args: () => ['release', '--input', '["compile"]'], message: /--input must be a JSON object such as/ },
  { where: 'CLI', input: 'start-workflow release --input \'{"stages":["deplooy"]}\'', script: 'start-workflow', args: () => ['release', '--input', '{"stages":["deplooy"]}'], message: /releaseWorkflow input: stages\[0\] must each be one of "compile"/ },
  { where: 'CLI', input: 'start-workflow sync --auto-approve', script: 'start-workflow', args: () => ['sync', '--auto-approve'], message: /--auto-approve applies to workflows with an approval step \(deploy, release\), not sync/ },
  { where: 'CLI', input: 'start-workflow compile --config <aws.region "eu-north-9">', script: 'start-workflow', args: (ctx) => ['compile', '--config', ctx.badRegionConfig], message: /aws\.region must be an AWS region such as "us-east-1"/ },
  { where: 'CLI', input: 'schedule create janitor (no site)', script: 'schedule', args: () => ['create', 'janitor'], message: /name the site the schedule is for: --site NAME \(as in its runbook\.config\.json\) or --config FILE/ },
  { where: 'CLI', input: 'schedule create janitor --every 15', script: 'schedule', args: () => ['create', 'janitor', '--every', '15'], message: /--every "15" must be a whole number with a unit s, m, h or d/ },
  { where: 'CLI', input: 'schedule create janitor --cron "61 * * * *"', script: 'schedule', args: () => ['create', 'janitor', '--cron', '61 * * * *'], message: /--cron "61 \* \* \* \*" has 61 in the minute field, outside 0-59/ },
  { where: 'CLI', input: 'schedule create release --cron "every day"', script: 'schedule', args: () => ['create', 'release', '--cron', 'every day'], message: /--cron "every day" has 2 fields: use 5 fields/ },
  { where: 'CLI', input: 'schedule create compile --every 1d --cron "0 3 * * *"', script: 'schedule', args: () => ['create', 'compile', '--every', '1d', '--cron', '0 3 * * *'], message: /give --every or --cron, not both/ },
  { where: 'CLI', input: 'approve <a release that already failed>', script: 'approve', args: (ctx) => [ctx.failedReleaseId], message: /is FAILED, not waiting for approval: there is nothing to approve/ },
  { where: 'CLI', input: 'approve no-such-run', script: 'approve', args: () => ['no-such-run'], message: /no workflow "no-such-run" in namespace "default": check the id/ },
  { where: 'CLI', input: 'reject a b (two ids)', script: 'reject', args: () => ['a', 'b'], message: /name exactly one workflow id\. Usage: npm run reject/ },
  { where: 'CLI', input: 'status (no id)', script: 'status', args: () => [], message: /name one workflow id\. Usage: npm run status/ },
];

export const badInputs: Entry[] = [...configEntries, ...uiEntries, ...dataEntries, ...cliEntries];
