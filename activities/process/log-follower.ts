import { open } from 'node:fs/promises';

export interface Progress {
  done: number | null;
  total: number | null;
  lastLine: string | null;
}

const TAIL_BYTES = 64 * 1024;
const DEFAULT_PROGRESS = String.raw`(\d+)\s*/\s*(\d+)`;

/**
 * Reads a growing log file from an offset, keeping only the last line and the last progress
 * figures: a multi-day compile's log may be gigabytes and must never be held in memory.
 */
export class LogFollower implements Progress {
  done: number | null = null;
  total: number | null = null;
  lastLine: string | null = null;
  private partial = '';
  private readonly pattern: RegExp;

  constructor(
    readonly path: string,
    public offset: number,
    progressPattern: string | undefined,
  ) {
    this.pattern = new RegExp(progressPattern ?? DEFAULT_PROGRESS);
  }

  /** Starts near the end of an existing log, for a process we adopt after a crash. */
  static async fromTail(path: string, progressPattern: string | undefined): Promise<LogFollower> {
    let size = 0;
    try {
      const handle = await open(path, 'r');
      size = (await handle.stat()).size;
      await handle.close();
    } catch {
      // No log yet.
    }
    const follower = new LogFollower(path, Math.max(0, size - TAIL_BYTES), progressPattern);
    await follower.poll();
    return follower;
  }

  async poll(): Promise<void> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch {
      return;
    }
    try {
      const buffer = Buffer.alloc(TAIL_BYTES);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        this.consume(buffer.subarray(0, bytesRead).toString('utf8'));
      }
    } finally {
      await handle.close();
    }
  }

  private consume(text: string): void {
    const lines = (this.partial + text).split(/\r?\n|\r/);
    this.partial = lines.pop() ?? '';
    if (this.partial.length > TAIL_BYTES) this.partial = this.partial.slice(-TAIL_BYTES);
    for (const line of lines) this.see(line);
  }

  private see(line: string): void {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('=== runbook:')) return;
    this.lastLine = trimmed.length > 500 ? `${trimmed.slice(0, 500)}…` : trimmed;
    const match = this.pattern.exec(trimmed);
    if (match?.[1] !== undefined && match[2] !== undefined) {
      const done = Number(match[1]);
      const total = Number(match[2]);
      if (Number.isFinite(done) && Number.isFinite(total) && total > 0 && done <= total) {
        this.done = done;
        this.total = total;
      }
    }
  }
}

/** The last lines of a log, for a failure message a person can act on. */
export async function tailLines(path: string, count: number): Promise<string> {
  try {
    const handle = await open(path, 'r');
    try {
      const size = (await handle.stat()).size;
      const start = Math.max(0, size - TAIL_BYTES);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      return buffer
        .toString('utf8')
        .split(/\r?\n/)
        .filter((l) => l.trim() && !l.startsWith('=== runbook:'))
        .slice(-count)
        .join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '(no output)';
  }
}
