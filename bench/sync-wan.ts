import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_PARALLELISM } from '../config/schema.js';
import { scratchDir, settleDisk, type BenchContext, type Benchmark } from './lib/context.js';
import { LFTP_PARALLEL, lftpMirror, openSshPut, RCLONE_FLAGS, rcloneSync, type ToolRun } from './lib/clients.js';
import { missingOpenSsh, startSshd } from './lib/sshd.js';
import { fmt, loadAverage, sectionRun, spread, type Figure, type Section } from './lib/stats.js';
import { runSyncChild } from './lib/sync-runner.js';
import { missingToxiproxy, startWanProxy, TOXIPROXY_VERSION, WAN } from './lib/toxiproxy.js';
import { changeFiles, generateTree, type TreeSpec } from './lib/tree.js';

const MiB = 2 ** 20;
const FS_ID = 'efs';
/** The tree the issue measured the other clients on (put -r of 1 GiB through the WAN profile takes minutes a run). */
const WAN_TREE: TreeSpec = { files: 400, totalBytes: 200 * MiB, seed: 11 };
const QUICK_WAN_TREE: TreeSpec = { files: 100, totalBytes: 40 * MiB, seed: 11 };
/** The product's default, as a user gets it. */
const PARALLELISM = DEFAULT_PARALLELISM;

function missingClients(): string | undefined {
  const missing = ['rclone', 'lftp'].filter((tool) => {
    try {
      execFileSync('which', [tool], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  return missing.length ? `missing ${missing.join(', ')}: \`apt-get update && apt-get install -y rclone lftp\` (not needed by npm test)` : undefined;
}

export const syncWanBenchmark: Benchmark = {
  id: 'sync-wan',
  describe: 'our upload engine vs OpenSSH put -r, lftp and rclone through Toxiproxy (25 ms each way, 25 MB/s per connection)',
  run: async (ctx: BenchContext): Promise<Section[]> => {
    const missing = missingOpenSsh() ?? missingToxiproxy() ?? missingClients();
    if (missing) throw new Error(missing);
    const spec = ctx.quick ? QUICK_WAN_TREE : WAN_TREE;
    await mkdir(scratchDir, { recursive: true });
    const sshd = await startSshd(scratchDir);
    const proxy = await startWanProxy(sshd.port);
    const startedAt = new Date();
    const loadBefore = loadAverage();
    try {
      const work = path.join(sshd.dir, 'work');
      const treeDir = path.join(work, 'tree');
      await mkdir(path.join(sshd.chrootDir, FS_ID), { mode: 0o755 });
      ctx.log(`generating ${spec.files} files, ${fmt(spec.totalBytes / MiB, 0)} MiB (seed ${spec.seed})`);
      const files = await generateTree(treeDir, spec);
      const onDisk = (dir: string): string => path.join(sshd.chrootDir, FS_ID, dir);
      const ours = async (remoteDir: string, workflowId: string): Promise<ToolRun> => {
        const run = await runSyncChild({
          localDir: treeDir, stateDir: path.join(work, 'state'), sshPort: proxy.port, hostFingerprint: sshd.hostFingerprint, extraKeysFile: sshd.extraKeysFile,
          fileSystemId: FS_ID, remoteDir, workflowId, attempt: 1, parallelism: PARALLELISM,
        });
        return { seconds: run.result!.syncSeconds, clientCpu: run.result!.cpuSeconds, serverCpu: NaN };
      };
      const t: Record<string, ToolRun[]> = { ours: [], putr: [], lftp: [], rclone: [], oursIncr: [], rcloneIncr: [] };
      const ratioPut: number[] = [];
      const ratioBest: number[] = [];
      const ratioIncr: number[] = [];
      for (let i = 0; i < ctx.runs; i++) {
        const tools: [string, () => Promise<ToolRun>][] = [
          ['ours', () => ours('/ours', `wan-full-${i}`)],
          ['putr', () => openSshPut(sshd, proxy.port, `cd /${FS_ID}\nput -r tree\n`, work)],
          ['lftp', () => lftpMirror(sshd, proxy.port, treeDir, `/${FS_ID}/lftp`, work)],
          ['rclone', () => rcloneSync(sshd, proxy.port, treeDir, `/${FS_ID}/rclone`, work)],
        ];
        // Rotate who goes first, so none always gets the quieter machine.
        for (let k = 0; k < tools.length; k++) {
          const [name, run] = tools[(k + i) % tools.length]!;
          settleDisk();
          t[name]!.push(await run());
        }
        await changeFiles(treeDir, files, 0.01, 100 + i);
        const incr: [string, () => Promise<ToolRun>][] = [
          ['oursIncr', () => ours('/ours', `wan-incr-${i}`)],
          ['rcloneIncr', () => rcloneSync(sshd, proxy.port, treeDir, `/${FS_ID}/rclone`, work)],
        ];
        for (let k = 0; k < incr.length; k++) {
          const [name, run] = incr[(k + i) % incr.length]!;
          settleDisk();
          t[name]!.push(await run());
        }
        const last = (name: string): number => t[name]!.at(-1)!.seconds;
        ratioPut.push(last('ours') / last('putr'));
        ratioBest.push(last('ours') / Math.min(last('lftp'), last('rclone')));
        ratioIncr.push(last('oursIncr') / last('rcloneIncr'));
        ctx.log(`run ${i + 1}/${ctx.runs}: ours ${fmt(last('ours'))} s, put -r ${fmt(last('putr'))} s, lftp ${fmt(last('lftp'))} s, rclone ${fmt(last('rclone'))} s; 1% changed: ours ${fmt(last('oursIncr'))} s, rclone ${fmt(last('rcloneIncr'))} s; load ${loadAverage().join(' ')}`);
        for (const dir of ['ours', 'tree', 'lftp', 'rclone']) await rm(onDisk(dir), { recursive: true, force: true });
      }
      const secs = (name: string): Figure['value'] => spread(t[name]!.map((r) => r.seconds));
      const cpu = (name: string, which: 'clientCpu' | 'serverCpu'): Figure['value'] => spread(t[name]!.map((r) => r[which]));
      const mbps = (name: string): Figure['value'] => spread(t[name]!.map((r) => spec.totalBytes / 1e6 / r.seconds));
      const figures: Figure[] = [
        { name: 'full upload, ours (syncDirectory)', unit: 's', value: secs('ours') },
        { name: 'full upload, OpenSSH `sftp -b` `put -r`', unit: 's', value: secs('putr') },
        { name: `full upload, lftp \`mirror -R --parallel=${LFTP_PARALLEL}\``, unit: 's', value: secs('lftp') },
        { name: 'full upload, rclone `sync` (flags below)', unit: 's', value: secs('rclone') },
        { name: 'full upload throughput, ours', unit: 'MB/s', value: mbps('ours') },
        { name: 'full upload ratio ours / `put -r`', unit: '×', value: spread(ratioPut), target: '≤ 0.1', met: spread(ratioPut).median <= 0.1 },
        { name: 'full upload ratio ours / the best of lftp and rclone (per run)', unit: '×', value: spread(ratioBest), target: '≤ 0.4', met: spread(ratioBest).median <= 0.4 },
        { name: '1% changed: ours', unit: 's', value: secs('oursIncr') },
        { name: '1% changed: rclone `sync`', unit: 's', value: secs('rcloneIncr') },
        { name: '1% changed ratio ours / rclone', unit: '×', value: spread(ratioIncr), target: '≤ 1.0', met: spread(ratioIncr).median <= 1.0 },
        { name: 'CPU, ours (the sync process)', unit: 's', value: cpu('ours', 'clientCpu') },
        { name: 'CPU, `put -r` client (sftp + ssh)', unit: 's', value: cpu('putr', 'clientCpu') },
        { name: 'CPU, sshd serving `put -r`', unit: 's', value: cpu('putr', 'serverCpu') },
        { name: 'CPU, lftp client (lftp + its ssh processes)', unit: 's', value: cpu('lftp', 'clientCpu') },
        { name: 'CPU, rclone client', unit: 's', value: cpu('rclone', 'clientCpu') },
      ];
      const notes = [
        `Tree: ${files.length} files, ${fmt(spec.totalBytes / MiB, 0)} MiB (the issue's 400-file/200 MiB size: \`put -r\` of the 1 GiB tree through this link takes several minutes a run), same generator as the loopback section (bench/lib/tree.ts). 1% changed = ${Math.max(1, Math.round(files.length * 0.01))} files, new bytes and a newer mtime.`,
        `Link: Toxiproxy ${TOXIPROXY_VERSION} (\`go install github.com/Shopify/toxiproxy/v2/cmd/server@${TOXIPROXY_VERSION}\` from the Go module proxy) in front of the same OpenSSH sshd, with a latency toxic of ${WAN.latencyMs} ms and a bandwidth toxic of ${WAN.rateKBps / 1000} MB/s on each direction. Both toxics apply per TCP connection: a client that opens several connections gets several times the bandwidth, as it would from AWS Transfer Family (which limits per session, not per client).`,
        `Flags: ours \`data.parallelism\` ${PARALLELISM} (SSH connections) × 2 SFTP sessions each; \`put -r\` as the manual runbook types it; lftp \`mirror -R --parallel=${LFTP_PARALLEL} --no-perms\` with its default packet settings (on a 100-file/40 MiB tree through this link: --parallel=4 13.0 s, 16 6.9 s; adding \`sftp:max-packets-in-flight 64\` and \`sftp:size-write 0x3fc00\` made it 45 s, 32 in parallel 43 s); rclone \`sync ${RCLONE_FLAGS.join(' ')}\` (the issue's \`--transfers 8 --sftp-chunk-size 255k\` with more transfers and checkers, which were faster here; hash check and shell off because the server is internal-sftp only). rclone and lftp from Debian bookworm (rclone 1.60, lftp 4.9).`,
        'Each run: the four full uploads into fresh dirs (order rotated per run), then 1% changed, then ours and rclone again into their dirs; dirty data in the page cache is written back (sync(1)) before each timed run. CPU: GNU time for the clients (user + system of the whole process tree), the sshd daemon\'s reaped-children time for the server side; ours is the sync process\'s own process.cpuUsage().',
      ];
      return [{
        id: 'sync-wan',
        title: `Data sync on the WAN profile (${WAN.latencyMs} ms each way, ${WAN.rateKBps / 1000} MB/s per connection): ours vs put -r, lftp, rclone`,
        ...sectionRun(ctx, startedAt, loadBefore),
        figures,
        notes,
      }];
    } finally {
      await proxy.stop();
      await sshd.stop();
    }
  },
};
