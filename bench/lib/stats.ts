import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function spread(runs: number[]): Spread {
  const sorted = [...runs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted[sorted.length - 1] ?? NaN, runs };
}

/** One line of RESULTS.md: a measured figure, its target, and whether it was met. */
export interface Figure {
  name: string;
  unit: string;
  value: Spread;
  /** e.g. "≤ 1.0"; undefined for figures reported for context only. */
  target?: string;
  met?: boolean;
  /** Why a target was missed, or what the figure means. */
  note?: string;
}

export interface Section {
  id: string;
  title: string;
  mode: 'full' | 'quick';
  startedAt: string;
  durationSeconds: number;
  loadBefore: number[];
  loadAfter: number[];
  figures: Figure[];
  notes: string[];
}

/** The part of a section every benchmark fills the same way: its mode, when it ran, how long, and the load around it. */
export function sectionRun(ctx: { quick: boolean }, startedAt: Date, loadBefore: number[]): Pick<Section, 'mode' | 'startedAt' | 'durationSeconds' | 'loadBefore' | 'loadAfter'> {
  return {
    mode: ctx.quick ? 'quick' : 'full',
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    loadBefore,
    loadAfter: loadAverage(),
  };
}

export function loadAverage(): number[] {
  return os.loadavg().map((n) => Math.round(n * 100) / 100);
}

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return 'n/a';
  if (Math.abs(n) >= 1000) return n.toFixed(0);
  return n.toFixed(digits);
}

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { stderr?: string };
    return (e.stderr ?? '').trim() || 'unavailable';
  }
}

export function machineInfo(dir: string): Record<string, string> {
  const cpus = os.cpus();
  const df = tryRun('df', ['-h', '--output=source,fstype,size,avail', dir]).split('\n').slice(1).join(' ').replace(/\s+/g, ' ');
  const rotational = tryRun('sh', ['-c', `lsblk -dno NAME,ROTA,MODEL 2>/dev/null | head -3 | tr '\\n' ';'`]);
  return {
    'CPU model': cpus[0]?.model ?? 'unknown',
    cores: String(cpus.length),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    OpenSSH: tryRun('sh', ['-c', 'ssh -V 2>&1']),
    OpenSSL: tryRun('openssl', ['version']),
    'disk (bench scratch)': `${df}; block devices: ${rotational || 'n/a'}`,
  };
}
