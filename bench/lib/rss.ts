import { readFileSync } from 'node:fs';

/** VmRSS and VmHWM (peak) of a process, in bytes; undefined once it is gone. */
export function memoryOf(pid: number | 'self'): { rss: number; hwm: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Samples a process every `everyMs` until stopped; the peak seen, and its own VmHWM at the last sample. */
export function sampleRss(pid: number, everyMs = 100): { stop: () => { peakRss: number; hwm: number; samples: number } } {
  let peakRss = 0;
  let hwm = 0;
  let samples = 0;
  const take = (): void => {
    const m = memoryOf(pid);
    if (!m) return;
    samples += 1;
    peakRss = Math.max(peakRss, m.rss);
    hwm = Math.max(hwm, m.hwm);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      take();
      clearInterval(timer);
      return { peakRss, hwm, samples };
    },
  };
}
