import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';

export interface TreeSpec {
  files: number;
  totalBytes: number;
  seed: number;
}

export const FULL_TREE: TreeSpec = { files: 2000, totalBytes: 2 ** 30, seed: 7 };
export const QUICK_TREE: TreeSpec = { files: 200, totalBytes: 100 * 2 ** 20, seed: 7 };

export interface TreeFile {
  path: string;
  size: number;
}

/** Small, fast, seeded PRNG (mulberry32): the same spec always gives the same tree. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const logUniform = (r: number, lo: number, hi: number): number => Math.exp(Math.log(lo) + r * (Math.log(hi) - Math.log(lo)));

/**
 * The file list: 90% small-to-medium files (1 KiB–1 MiB, log-uniform) and 10% large ones
 * (1–16 MiB), scaled so the sizes add up to exactly `totalBytes`, spread over 20 dirs of up
 * to 5 subdirs each, like a compiled data dir of feather tables and pickled figures.
 */
export function treeLayout(spec: TreeSpec): TreeFile[] {
  const rand = prng(spec.seed);
  const raw: number[] = [];
  for (let i = 0; i < spec.files; i++) {
    raw.push(i % 10 === 9 ? logUniform(rand(), 2 ** 20, 16 * 2 ** 20) : logUniform(rand(), 1024, 2 ** 20));
  }
  const scale = spec.totalBytes / raw.reduce((a, b) => a + b, 0);
  const sizes = raw.map((n) => Math.max(1, Math.floor(n * scale)));
  sizes[sizes.length - 1]! += spec.totalBytes - sizes.reduce((a, b) => a + b, 0);
  return sizes.map((size, i) => {
    const part = Math.floor(rand() * 20);
    const sub = Math.floor(rand() * 5);
    return { path: `part-${String(part).padStart(2, '0')}/sub-${sub}/table-${String(i).padStart(4, '0')}.feather`, size };
  });
}

/** Deterministic incompressible bytes: an AES-128-CTR keystream keyed by (seed, file, version). */
function keystream(seed: number, file: string, version: number): (n: number) => Buffer {
  const key = createHash('sha256').update(`${seed}/${file}/${version}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return (n) => cipher.update(Buffer.alloc(n));
}

async function writeFileContent(file: string, size: number, next: (n: number) => Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  for (let left = size; left > 0; ) {
    const n = Math.min(left, 1 << 20);
    left -= n;
    if (!out.write(next(n))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

export async function generateTree(root: string, spec: TreeSpec): Promise<TreeFile[]> {
  const files = treeLayout(spec);
  for (const f of files) await writeFileContent(path.join(root, f.path), f.size, keystream(spec.seed, f.path, 0));
  return files;
}

/**
 * Rewrites `fraction` of the files in place (same size, new content, a newer mtime), picked by
 * `round` so each round changes a different, repeatable set. Returns what changed.
 */
export async function changeFiles(root: string, files: TreeFile[], fraction: number, round: number): Promise<TreeFile[]> {
  const rand = prng(1000 + round);
  const count = Math.max(1, Math.round(files.length * fraction));
  const picked = new Map<string, TreeFile>();
  while (picked.size < count) {
    const f = files[Math.floor(rand() * files.length)]!;
    picked.set(f.path, f);
  }
  for (const f of picked.values()) {
    const full = path.join(root, f.path);
    const before = await stat(full);
    const next = keystream(0, f.path, round + 1);
    const handle = await open(full, 'r+');
    try {
      for (let at = 0; at < f.size; at += 1 << 20) await handle.write(next(Math.min(1 << 20, f.size - at)), 0, undefined, at);
    } finally {
      await handle.close();
    }
    // Whole seconds newer, whatever the clock did meanwhile: SFTP keeps mtimes in seconds.
    const mtime = new Date(Math.max(Date.now(), before.mtimeMs + 2000));
    await utimes(full, mtime, mtime);
  }
  return [...picked.values()];
}
