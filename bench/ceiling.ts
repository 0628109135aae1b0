import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { scratchDir, type BenchContext, type Benchmark } from './lib/context.js';
import { freePort } from './lib/sshd.js';
import { fmt, loadAverage, sectionRun, spread, type Section } from './lib/stats.js';
import { generateTree } from './lib/tree.js';

const MiB = 2 ** 20;

/** `openssl speed` for one cipher, 16 KiB blocks, one core: MB/s (10^6 bytes). */
function opensslSpeed(cipher: string): number {
  const text = execFileSync('openssl', ['speed', '-evp', cipher, '-bytes', '16384', '-seconds', '1'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = text.split('\n').reverse().find((l) => /\d+\.\d+k\s*$/.test(l));
  return (Number(/([\d.]+)k\s*$/.exec(line ?? '')?.[1]) * 1000) / 1e6;
}

/** A file through one loopback TCP connection with Node streams, into `sink`; seconds. */
async function nodePipe(file: string, sink: string): Promise<number> {
  const server = net.createServer();
  const received = new Promise<void>((resolve, reject) => {
    server.once('connection', (socket) => {
      const out = createWriteStream(sink);
      socket.pipe(out);
      out.once('finish', resolve);
      out.once('error', reject);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const started = process.hrtime.bigint();
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  createReadStream(file, { highWaterMark: MiB }).pipe(socket);
  await received;
  server.close();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

// sendfile(2) out, 1 MiB recv_into in: as close to "cat file | nc" as this machine (no nc) gets.
const PY_RECV = `import socket,sys
s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('127.0.0.1',int(sys.argv[1])));s.listen(1);print('ready',flush=True)
c,_=s.accept();b=bytearray(1<<20);m=memoryview(b)
with open(sys.argv[2],'wb',buffering=0) as o:
  while True:
    n=c.recv_into(b)
    if not n: break
    o.write(m[:n])`;
const PY_SEND = `import socket,sys
c=socket.create_connection(('127.0.0.1',int(sys.argv[1])))
with open(sys.argv[2],'rb') as f: c.sendfile(f)
c.close()`;

async function pythonPipe(file: string, sink: string): Promise<number> {
  const port = await freePort();
  const recv = spawn('python3', ['-c', PY_RECV, String(port), sink], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => recv.stdout?.once('data', () => resolve()));
  const done = new Promise<void>((resolve, reject) => recv.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`receiver exited ${code}`)))));
  const started = process.hrtime.bigint();
  const send = spawn('python3', ['-c', PY_SEND, String(port), file], { stdio: 'inherit' });
  await once(send, 'exit');
  await done;
  return Number(process.hrtime.bigint() - started) / 1e9;
}

export const ceilingBenchmark: Benchmark = {
  id: 'ceiling',
  describe: "the machine's ceiling: openssl speed on one core, and a raw loopback copy of 1 GiB",
  run: async (ctx: BenchContext): Promise<Section[]> => {
    const startedAt = new Date();
    const loadBefore = loadAverage();
    await mkdir(scratchDir, { recursive: true });
    const dir = await mkdtemp(path.join(scratchDir, 'ceiling-'));
    try {
      const bytes = ctx.quick ? 100 * MiB : 2 ** 30;
      const [only] = await generateTree(dir, { files: 1, totalBytes: bytes, seed: 3 });
      const file = path.join(dir, only!.path);
      const sink = path.join(dir, 'sink');
      const gcm: number[] = [];
      const chacha: number[] = [];
      const pyDisk: number[] = [];
      const pyNull: number[] = [];
      const nodeDisk: number[] = [];
      const nodeNull: number[] = [];
      const mbs = (s: number): number => bytes / 1e6 / s;
      for (let i = 0; i < ctx.runs; i++) {
        gcm.push(opensslSpeed('aes-128-gcm'));
        chacha.push(opensslSpeed('chacha20-poly1305'));
        pyDisk.push(mbs(await pythonPipe(file, sink)));
        await rm(sink, { force: true });
        pyNull.push(mbs(await pythonPipe(file, '/dev/null')));
        nodeDisk.push(mbs(await nodePipe(file, sink)));
        await rm(sink, { force: true });
        nodeNull.push(mbs(await nodePipe(file, '/dev/null')));
        ctx.log(`run ${i + 1}/${ctx.runs}: aes-128-gcm ${fmt(gcm.at(-1)!, 0)} MB/s; loopback sendfile → disk ${fmt(pyDisk.at(-1)!, 0)}, → /dev/null ${fmt(pyNull.at(-1)!, 0)}; Node pipe → disk ${fmt(nodeDisk.at(-1)!, 0)}, → /dev/null ${fmt(nodeNull.at(-1)!, 0)} MB/s; load ${loadAverage().join(' ')}`);
      }
      return [{
        id: 'ceiling',
        title: "The machine's ceiling",
        ...sectionRun(ctx, startedAt, loadBefore),
        figures: [
          { name: '`openssl speed -evp aes-128-gcm`, 16 KiB blocks, one core', unit: 'MB/s', value: spread(gcm) },
          { name: '`openssl speed -evp chacha20-poly1305`, 16 KiB blocks, one core', unit: 'MB/s', value: spread(chacha) },
          { name: 'raw loopback copy, 1 GiB file, sendfile(2) → socket → a file on the same disk (Python)', unit: 'MB/s', value: spread(pyDisk) },
          { name: 'raw loopback copy, sendfile(2) → socket → /dev/null (Python)', unit: 'MB/s', value: spread(pyNull) },
          { name: 'raw loopback copy, Node streams → socket → a file on the same disk', unit: 'MB/s', value: spread(nodeDisk) },
          { name: 'raw loopback copy, Node streams → socket → /dev/null', unit: 'MB/s', value: spread(nodeNull) },
        ],
        notes: [
          'MB = 10^6 bytes. The source file is in the page cache. No nc on this machine: the "cat file | nc" copy is done with sendfile(2) and recv_into in Python (bench/ceiling.ts); the Node variant shows what a Node process alone gets through one unencrypted socket.',
        ],
      }];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
