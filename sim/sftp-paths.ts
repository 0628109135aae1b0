import { realpath } from 'node:fs/promises';
import { posix, join, sep } from 'node:path';

/** A visible path prefix backed by a directory on disk. */
export interface Mount { virtual: string; disk: string }

export class PathRefused extends Error {}

/**
 * The view one SFTP session has of the disk: paths are resolved against the home directory,
 * mapped through the mounts (longest prefix wins) and refused if they would leave them, by
 * `..`, absolute paths or symlinks pointing outside.
 */
export class SessionJail {
  constructor(private readonly mounts: Mount[], readonly home: string) {}

  /** Normalised absolute virtual path (never touches disk). */
  virtual(path: string): string {
    return posix.resolve(this.home, path === '' ? '.' : path);
  }

  private mountFor(virtualPath: string): { mount: Mount; rest: string } {
    let best: Mount | undefined;
    for (const m of this.mounts) {
      const inside = m.virtual === '/' || virtualPath === m.virtual || virtualPath.startsWith(`${m.virtual}/`);
      if (inside && (!best || m.virtual.length > best.virtual.length)) best = m;
    }
    if (!best) throw new PathRefused(`${virtualPath} is outside the home directory`);
    const rest = best.virtual === '/' ? virtualPath : virtualPath.slice(best.virtual.length);
    return { mount: best, rest };
  }

  /**
   * Disk path for a virtual path, checked against symlink escapes: the deepest existing
   * ancestor (or the path itself) must resolve inside the mount's real directory.
   */
  async disk(path: string, opts: { followFinal?: boolean } = {}): Promise<string> {
    const v = this.virtual(path);
    const { mount, rest } = this.mountFor(v);
    const parts = rest.split('/').filter((p) => p !== '');
    const target = parts.length === 0 ? mount.disk : join(mount.disk, ...parts);
    const rootReal = await realpath(mount.disk).catch(() => mount.disk);
    // Check the parent for every path, and the path itself when it will be followed (open,
    // stat): a symlink as final component may be removed or lstat'ed, but not followed out.
    // The home directory itself has no parent inside the jail: only it is checked.
    const probes = parts.length === 0 ? [target] : opts.followFinal === false ? [parentOf(target)] : [target, parentOf(target)];
    for (const probe of probes) {
      const real = await deepestReal(probe);
      if (real !== undefined && !(real === rootReal || real.startsWith(rootReal + sep))) {
        throw new PathRefused(`${v} leaves the home directory`);
      }
    }
    return target;
  }
}

function parentOf(p: string): string {
  const i = p.lastIndexOf(sep);
  return i <= 0 ? sep : p.slice(0, i);
}

async function deepestReal(p: string): Promise<string | undefined> {
  let current = p;
  let suffix = '';
  for (;;) {
    try {
      const real = await realpath(current);
      return suffix === '' ? real : join(real, suffix);
    } catch {
      const parent = parentOf(current);
      if (parent === current) return undefined;
      suffix = suffix === '' ? current.slice(parent.length + 1) : join(current.slice(parent.length + 1), suffix);
      current = parent;
    }
  }
}
