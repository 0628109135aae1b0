import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { TEMP_SUFFIX } from '../activities/sync/local-tree.js';
import type { SyncPlan } from '../activities/sync/plan-sync.js';
import { scratchDir, type BenchContext, type Benchmark } from './lib/context.js';
import { missingOpenSsh, openSshSftp, startSshd, type RunningSshd } from './lib/sshd.js';
import { fmt, loadAverage, spread, type Figure, type Section } from './lib/stats.js';
import { runSyncChild } from './lib/sync-runner.js';
import { changeFiles, FULL_TREE, generateTree, QUICK_TREE, type TreeFile } from './lib/tree.js';

const MiB = 2 ** 20;
/** The engine's default (`data.parallelism`). */
const PARALLELISM = 4;
const FS_ID = 'efs';
/** The manual runbook's step: from the site dir, into the file system root, `put -r data`. */
const PUT_R = `cd /${FS_ID}\nput -r tree\n`;

interface Fixture {
  sshd: RunningSshd;
  work: string;
  treeDir: string;
  files: TreeFile[];
  totalBytes: number;
}

function section(id: string, title: string, ctx: BenchContext, startedAt: Date, loadBefore: number[], figures: Figure[], notes: string[]): Section {
  return {
    id,
    title,
    mode: ctx.quick ? 'quick' : 'full',
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    loadBefore,
    loadAfter: loadAverage(),
    figures,
    notes,
  };
}

async function syncOurs(fx: Fixture, remoteDir: string, workflowId: string, attempt = 1, verify?: 'sample') {
  return runSyncChild({
    localDir: fx.treeDir,
    stateDir: path.join(fx.work, 'state'),
    sshPort: fx.sshd.port,
    hostFingerprint: fx.sshd.hostFingerprint,
    extraKeysFile: fx.sshd.extraKeysFile,
    fileSystemId: FS_ID,
    remoteDir,
    workflowId,
    attempt,
    parallelism: PARALLELISM,
    ...(verify ? { verify } : {}),
  });
}

const remoteOnDisk = (fx: Fixture, remoteDir: string): string => path.join(fx.sshd.chrootDir, FS_ID, remoteDir.replace(/^\//, ''));

async function dirBytes(dir: string): Promise<{ files: number; bytes: number; temps: number; tempBytes: number }> {
  const out = { files: 0, bytes: 0, temps: 0, tempBytes: 0 };
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const s = await stat(path.join(e.parentPath, e.name));
    if (e.name.endsWith(TEMP_SUFFIX)) {
      out.temps += 1;
      out.tempBytes += s.size;
    } else {
      out.files += 1;
      out.bytes += s.size;
    }
  }
  return out;
}

async function setUp(ctx: BenchContext): Promise<Fixture> {
  const spec = ctx.quick ? QUICK_TREE : FULL_TREE;
  await mkdir(scratchDir, { recursive: true });
  const free = Number(execFileSync('df', ['--output=avail', '-B1', scratchDir], { encoding: 'utf8' }).split('\n')[1]);
  if (free < spec.totalBytes * 3.5) throw new Error(`need ${fmt((spec.totalBytes * 3.5) / 2 ** 30)} GiB free under ${scratchDir}, have ${fmt(free / 2 ** 30)} GiB`);
  const sshd = await startSshd(scratchDir);
  const work = path.join(sshd.dir, 'work');
  const treeDir = path.join(work, 'tree');
  await mkdir(path.join(sshd.chrootDir, FS_ID), { mode: 0o755 });
  ctx.log(`generating ${spec.files} files, ${fmt(spec.totalBytes / MiB, 0)} MiB (seed ${spec.seed})`);
  const files = await generateTree(treeDir, spec);
  return { sshd, work, treeDir, files, totalBytes: spec.totalBytes };
}

async function syncVsOpenSsh(fx: Fixture, ctx: BenchContext): Promise<Section> {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const MB = (bytes: number, s: number): number => bytes / 1e6 / s;
  const oursFull: number[] = [];
  const oursVerify: number[] = [];
  const oursIncr: number[] = [];
  const incrBytes: number[] = [];
  const osshFull: number[] = [];
  const osshAgain: number[] = [];
  const fullRatio: number[] = [];
  const incrRatio: number[] = [];
  const hwm: number[] = [];
  const changedBytes: number[] = [];
  for (let i = 0; i < ctx.runs; i++) {
    let of = 0;
    let oi = 0;
    let sf = 0;
    let sa = 0;
    const ours = async (): Promise<void> => {
      const full = await syncOurs(fx, '/ours', `bench-full-${i}`, 1, 'sample');
      of = full.result!.syncSeconds;
      oursVerify.push(full.result!.verifySeconds ?? NaN);
      hwm.push(full.hwm);
      const changed = await changeFiles(fx.treeDir, fx.files, 0.01, 2 * i);
      changedBytes.push(changed.reduce((a, f) => a + f.size, 0));
      const incr = await syncOurs(fx, '/ours', `bench-incr-${i}`);
      oi = incr.result!.syncSeconds;
      incrBytes.push(incr.result!.result.uploaded.bytes);
      await rm(remoteOnDisk(fx, '/ours'), { recursive: true, force: true });
    };
    const openssh = async (): Promise<void> => {
      sf = await openSshSftp(fx.sshd, PUT_R, fx.work);
      await changeFiles(fx.treeDir, fx.files, 0.01, 2 * i + 1);
      sa = await openSshSftp(fx.sshd, PUT_R, fx.work);
      const landed = await dirBytes(remoteOnDisk(fx, '/tree'));
      if (landed.bytes !== fx.totalBytes) throw new Error(`put -r left ${landed.bytes} bytes, expected ${fx.totalBytes} (nested dir?)`);
      await rm(remoteOnDisk(fx, '/tree'), { recursive: true, force: true });
    };
    // Alternate who goes first, so neither always gets the warmer (or busier) machine.
    if (i % 2 === 0) {
      await ours();
      await openssh();
    } else {
      await openssh();
      await ours();
    }
    oursFull.push(of);
    oursIncr.push(oi);
    osshFull.push(sf);
    osshAgain.push(sa);
    fullRatio.push(of / sf);
    incrRatio.push(oi / sa);
    ctx.log(`run ${i + 1}/${ctx.runs}: ours ${fmt(of)} s (${fmt(MB(fx.totalBytes, of), 0)} MB/s), OpenSSH ${fmt(sf)} s (${fmt(MB(fx.totalBytes, sf), 0)} MB/s); 1% changed: ours ${fmt(oi)} s, put -r again ${fmt(sa)} s; load ${loadAverage().join(' ')}`);
  }
  const ciphers = await fx.sshd.ciphers();
  const fullMet = spread(fullRatio).median <= 1.0;
  const rssMet = spread(hwm).max <= 300 * MiB;
  const figures: Figure[] = [
    { name: 'full upload, ours (syncDirectory)', unit: 's', value: spread(oursFull) },
    { name: 'full upload, OpenSSH `sftp -b` `put -r`', unit: 's', value: spread(osshFull) },
    { name: 'full upload throughput, ours', unit: 'MB/s', value: spread(oursFull.map((s) => MB(fx.totalBytes, s))) },
    { name: 'full upload throughput, OpenSSH', unit: 'MB/s', value: spread(osshFull.map((s) => MB(fx.totalBytes, s))) },
    {
      name: 'full upload ratio ours / OpenSSH',
      unit: '×',
      value: spread(fullRatio),
      target: '≤ 1.0',
      met: fullMet,
      note: fullMet ? undefined : 'see "Why" below',
    },
    { name: 'verify after the full upload (`verify: "sample"`, 20 files read back), not in the ratio', unit: 's', value: spread(oursVerify) },
    { name: '1% of files changed: ours', unit: 's', value: spread(oursIncr) },
    { name: '1% changed: bytes ours sent', unit: 'MiB', value: spread(incrBytes.map((b) => b / MiB)), note: `the changed files held ${fmt(spread(changedBytes).median / MiB)} MiB (median)` },
    { name: '1% changed: OpenSSH `put -r` again (sends everything)', unit: 's', value: spread(osshAgain) },
    { name: '1% changed ratio ours / OpenSSH', unit: '×', value: spread(incrRatio), target: '≤ 0.05', met: spread(incrRatio).median <= 0.05 },
    {
      name: 'sync process peak RSS (VmHWM) during the full upload',
      unit: 'MiB',
      value: spread(hwm.map((b) => b / MiB)),
      target: '≤ 300 (every run)',
      met: rssMet,
    },
  ];
  const notes = [
    `Tree: ${fx.files.length} files, ${fmt(fx.totalBytes / MiB, 0)} MiB, sizes ${fmt(Math.min(...fx.files.map((f) => f.size)) / 1024)} KiB to ${fmt(Math.max(...fx.files.map((f) => f.size)) / MiB)} MiB (90% log-uniform 1 KiB–1 MiB, 10% 1–16 MiB, scaled), 100 dirs, incompressible deterministic content (bench/lib/tree.ts). The tree sits in the page cache for both tools; the server writes to the same disk.`,
    `Server: Debian OpenSSH sshd on 127.0.0.1, internal-sftp chrooted, key auth only (bench/lib/sshd.ts). Ciphers negotiated: ${ciphers.join(', ') || 'unknown'} (ssh2 picks AES-GCM, the OpenSSH client chacha20-poly1305).`,
    `Ours: the product's \`syncDirectory\` activity (activities/sync/sync-directory.ts, with plan-sync, transfer-file, remote-tree, sftp-session) run in its own process under @temporalio/testing's MockActivityEnvironment, parallelism ${PARALLELISM} (the default), driven directly against this sshd — not through the sim, whose SFTP server is itself Node and would measure our code against our code. Two stand-ins at the edge (bench/lib/sync-child.ts): the Transfer API calls the session makes (DescribeServer for the host key fingerprint, Import/DeleteSshPublicKey) are answered locally and the imported key is appended to sshd's authorized keys; and the SSH username "<serverId>/<user>", which sftp-session.ts sends whenever an sftpEndpoint is set (the sim's convention), is cut to "<user>" because OpenSSH knows only system users. Timed: the activity from its start (key pair, connect, list both sides, plan, upload with temp-name-then-rename and mtime, delete) to its result; Node start-up is not timed. \`put -r\` is timed from process start to exit (its ssh handshake included).`,
    'Each run: ours full into an empty dir, change 1% (20 files; same size, new bytes, newer mtime), ours again; OpenSSH the same into its own dir; the order alternates per run. The ratio is taken per run, then the median.',
  ];
  return section('sync', 'Data sync vs OpenSSH sftp (1 GiB tree, real sshd)', ctx, startedAt, loadBefore, figures, notes);
}

async function uploadResume(fx: Fixture, ctx: BenchContext): Promise<Section> {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const fractionResent: number[] = [];
  const resentMiB: number[] = [];
  const filesResent: number[] = [];
  const completedResent: number[] = [];
  const killedAtFraction: number[] = [];
  const meanFile = fx.totalBytes / fx.files.length;
  for (let i = 0; i < ctx.runs; i++) {
    const remoteDir = `/resume-${i}`;
    const workflowId = `bench-resume-${i}`;
    const first = await runSyncChild(
      { localDir: fx.treeDir, stateDir: path.join(fx.work, 'state'), sshPort: fx.sshd.port, hostFingerprint: fx.sshd.hostFingerprint, extraKeysFile: fx.sshd.extraKeysFile, fileSystemId: FS_ID, remoteDir, workflowId, attempt: 1, parallelism: PARALLELISM },
      (hb) => hb.phase === 'uploading' && (hb.bytesTotal ?? 0) > 0 && (hb.bytesDone ?? 0) >= 0.5 * (hb.bytesTotal ?? 0),
    );
    if (!first.killedAt) throw new Error('the upload finished before it reached 50%: the tree is too small for one heartbeat a second');
    // What the server holds when the retry starts: complete files and the killed attempt's partial temp files.
    const after = await dirBytes(remoteOnDisk(fx, remoteDir));
    const second = await runSyncChild({
      localDir: fx.treeDir, stateDir: path.join(fx.work, 'state'), sshPort: fx.sshd.port, hostFingerprint: fx.sshd.hostFingerprint, extraKeysFile: fx.sshd.extraKeysFile,
      fileSystemId: FS_ID, remoteDir, workflowId, attempt: 2, heartbeatDetails: first.lastHeartbeat, parallelism: PARALLELISM,
    });
    const plan = JSON.parse(await readFile(second.result!.result.planPath, 'utf8')) as SyncPlan & { attempt: number };
    const sentByRetry = plan.upload.reduce((a, f) => a + f.size, 0);
    // Bytes written twice: the partial files of the killed attempt, plus any complete file sent again.
    const completeAgain = sentByRetry - (fx.totalBytes - after.bytes);
    const resent = after.tempBytes + Math.max(0, completeAgain);
    const landed = await dirBytes(remoteOnDisk(fx, remoteDir));
    if (landed.bytes !== fx.totalBytes || landed.temps !== 0) throw new Error(`resumed upload left ${landed.bytes} bytes and ${landed.temps} temp files`);
    fractionResent.push(resent / fx.totalBytes);
    resentMiB.push(resent / MiB);
    filesResent.push(after.temps);
    completedResent.push(Math.max(0, completeAgain) / MiB);
    killedAtFraction.push(after.bytes / fx.totalBytes);
    ctx.log(`upload resume ${i + 1}: killed with ${fmt((100 * after.bytes) / fx.totalBytes, 0)}% complete, ${after.temps} partial files (${fmt(after.tempBytes / MiB)} MiB) sent again, completed files sent again ${fmt(completeAgain / MiB)} MiB`);
    await rm(remoteOnDisk(fx, remoteDir), { recursive: true, force: true });
  }
  const worst = Math.max(...resentMiB) * MiB;
  const met = spread(resentMiB).median * MiB <= meanFile;
  return section('upload-resume', 'Resume cost: an upload killed at 50% (SIGKILL) and resumed', ctx, startedAt, loadBefore, [
    { name: 'complete files on the server when killed (fraction of bytes)', unit: '', value: spread(killedAtFraction) },
    { name: 'bytes sent again / total', unit: '', value: spread(fractionResent) },
    {
      name: 'bytes sent again',
      unit: 'MiB',
      value: spread(resentMiB),
      target: `≤ one file's worth (mean file ${fmt(meanFile / MiB)} MiB)`,
      met,
      note: met ? undefined : `the killed attempt had up to ${PARALLELISM} files in flight (parallelism ${PARALLELISM}); each partial file is sent again from byte 0 — see "Why" below`,
    },
    { name: 'files sent again (partial files of the killed attempt)', unit: 'files', value: spread(filesResent) },
    { name: 'completed files sent again', unit: 'MiB', value: spread(completedResent), target: '0', met: Math.max(...completedResent) === 0 },
  ], [
    `The sync child (as above) is SIGKILLed at its first heartbeat (one a second) reporting ≥ 50% of the bytes; a new child then runs attempt 2 of the same activity (same workflow id, same state dir, the last heartbeat as details), which lists the remote side and continues. Bytes sent again = the killed attempt's partial temp files on the server + any complete file uploaded again (measured from the retry's plan file). Worst run: ${fmt(worst / MiB)} MiB.`,
  ]);
}

export const syncBenchmark: Benchmark = {
  id: 'sync',
  describe: 'our upload engine vs OpenSSH sftp put -r on a real sshd, an upload killed at 50%, peak RSS',
  run: async (ctx) => {
    const missing = missingOpenSsh();
    if (missing) throw new Error(missing);
    const fx = await setUp(ctx);
    try {
      const sections = [await syncVsOpenSsh(fx, ctx), await uploadResume(fx, ctx)];
      return sections;
    } finally {
      await fx.sshd.stop(); // removes the tree and the server side with it
    }
  },
};

