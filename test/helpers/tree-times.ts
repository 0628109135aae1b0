import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Every file under a dir with its mtime (ms), by path relative to the dir with `/`. */
export async function snapshotMtimes(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.set(path.relative(root, full).split(path.sep).join('/'), (await stat(full)).mtimeMs);
    }
  };
  await walk(root);
  return out;
}
