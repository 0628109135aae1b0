import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { resolveTemporalCli } from '../../client/temporal-cli.js';
import { waitFor } from '../helpers/worker-process.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `temporal server start-dev` as a child process persisted to a SQLite file, so a test can stop
 * the server mid-run and start it again on the same port and history, as a host reboot would.
 */
export class DevServerProcess {
  private child: ChildProcess | undefined;
  private output = '';
  connection!: Connection;
  client!: Client;

  private constructor(
    private readonly binary: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(): Promise<DevServerProcess> {
    const [binary, dir, port] = await Promise.all([resolveTemporalCli(), mkdtemp(path.join(os.tmpdir(), 'fault-temporal-')), freePort()]);
    const server = new DevServerProcess(binary, dir, port);
    await server.launch();
    server.connection = await Connection.connect({ address: server.address });
    server.client = new Client({ connection: server.connection });
    return server;
  }

  private async launch(): Promise<void> {
    this.output = '';
    const child = spawn(
      this.binary,
      [
        'server', 'start-dev',
        '--db-filename', path.join(this.dir, 'temporal.db'),
        '--ip', '127.0.0.1',
        '--port', String(this.port),
        '--headless',
        '--log-level', 'error',
        '--search-attribute', 'RunbookSite=Keyword',
        '--search-attribute', 'RunbookStage=Keyword',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    let exited = false;
    child.once('exit', () => (exited = true));
    await waitFor(`the Temporal dev server on ${this.address}`, async () => {
      if (exited) throw new Error(`temporal server start-dev exited:\n${this.output}`);
      const probe = await Connection.connect({ address: this.address, connectTimeout: 1000 }).catch(() => undefined);
      if (!probe) return false;
      try {
        await probe.workflowService.getSystemInfo({});
        return true;
      } catch {
        return false;
      } finally {
        await probe.close();
      }
    }, 60_000, 250);
  }

  /** Stops the server (SIGTERM, as a service manager would) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await gone;
    clearTimeout(timer);
  }

  /** Stop, stay down for `downMs`, start again on the same port and database. */
  async restart(downMs: number): Promise<number> {
    const began = Date.now();
    await this.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.launch();
    return Date.now() - began;
  }

  async close(): Promise<void> {
    await this.connection?.close().catch(() => undefined);
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
