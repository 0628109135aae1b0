import { constants as fsConstants } from 'node:fs';
import type { Dir, Stats } from 'node:fs';
import { lstat, mkdir, open, opendir, readlink, rename, rmdir, stat, unlink, utimes, chmod, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import ssh2 from 'ssh2';
import type { Attributes, InputAttributes, SFTPWrapper } from 'ssh2';
import { PathRefused, SessionJail, type Mount } from './sftp-paths.js';

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;

type Handle =
  | { kind: 'file'; fh: FileHandle; path: string; queue: Promise<void> }
  | { kind: 'dir'; dir: Dir; path: string; done: boolean; queue: Promise<void> };

function toAttrs(s: Stats): Attributes {
  return {
    mode: s.mode, uid: s.uid, gid: s.gid, size: s.size,
    atime: Math.floor(s.atimeMs / 1000), mtime: Math.floor(s.mtimeMs / 1000),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// `ls -l` style line; OpenSSH's sftp prints it verbatim for `ls -l`.
function longname(name: string, s: Stats): string {
  const type = s.isDirectory() ? 'd' : s.isSymbolicLink() ? 'l' : '-';
  const bits = 'rwxrwxrwx'.split('').map((c, i) => (s.mode & (1 << (8 - i)) ? c : '-')).join('');
  const d = s.mtime;
  const when = `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2)} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return `${type}${bits}    1 ${String(s.uid).padEnd(8)} ${String(s.gid).padEnd(8)} ${String(s.size).padStart(8)} ${when} ${name}`;
}

function statusFor(err: unknown): number {
  if (err instanceof PathRefused) return STATUS_CODE.PERMISSION_DENIED;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

function messageFor(err: unknown): string {
  if (err instanceof PathRefused) return 'Permission denied';
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'No such file';
  if (code === 'EEXIST') return 'File already exists';
  if (code === 'ENOTEMPTY') return 'Directory not empty';
  return 'Failure';
}

function openFlags(pflags: number): number {
  let flags = 0;
  const read = (pflags & OPEN_MODE.READ) !== 0;
  const write = (pflags & OPEN_MODE.WRITE) !== 0;
  flags |= read && write ? fsConstants.O_RDWR : write ? fsConstants.O_WRONLY : fsConstants.O_RDONLY;
  if (pflags & OPEN_MODE.APPEND) flags |= fsConstants.O_APPEND;
  if (pflags & OPEN_MODE.CREAT) flags |= fsConstants.O_CREAT;
  if (pflags & OPEN_MODE.TRUNC) flags |= fsConstants.O_TRUNC;
  if (pflags & OPEN_MODE.EXCL) flags |= fsConstants.O_EXCL;
  return flags;
}

/** Serves one SFTP channel against the jail; every request is answered, never thrown. */
export class SftpSession {
  private readonly jail: SessionJail;
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;
  /** Once the fault cut the connection, requests already queued must not touch disk either. */
  private dropped = false;

  constructor(
    private readonly sftp: SFTPWrapper,
    mounts: Mount[],
    home: string,
    /**
     * Fault: cut the connection once this many file bytes moved. Shared by every session
     * (channel) of one connection, as the fault counts bytes per connection.
     */
    private readonly dropAfter: { limit: number; moved: number } | undefined,
    private readonly drop: () => void,
    /** Fault: each WRITE is answered this much later, as on a slow link (per file, writes stay in order). */
    private readonly writeLatencyMs = 0,
    /** Told the bytes each WRITE put on disk, and the file's disk path. */
    private readonly onWritten: (disk: string, bytes: number) => void = () => undefined,
  ) {
    this.jail = new SessionJail(mounts, home);
  }

  private handleBuffer(id: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(id);
    return b;
  }

  private lookup(handle: Buffer): Handle | undefined {
    return handle.length === 4 ? this.handles.get(handle.readUInt32BE()) : undefined;
  }

  /** Runs a request and turns any failure into an SFTP status reply. */
  private serve(reqid: number, work: () => Promise<void>): void {
    work().catch((err: unknown) => {
      this.safe(() => this.sftp.status(reqid, statusFor(err), messageFor(err)));
    });
  }

  // Replies to a channel that has just closed throw; the client is gone, nothing to tell.
  private safe(reply: () => void): void {
    try {
      reply();
    } catch {
      /* channel closed */
    }
  }

  /** Per-handle queue: a CLOSE must not overtake the WRITEs the client sent before it. */
  private onHandle(reqid: number, handle: Buffer, work: (h: Handle) => Promise<void>): void {
    const h = this.lookup(handle);
    if (!h) {
      this.safe(() => this.sftp.status(reqid, STATUS_CODE.FAILURE, 'Invalid handle'));
      return;
    }
    h.queue = h.queue.then(() => work(h)).catch((err: unknown) => {
      this.safe(() => this.sftp.status(reqid, statusFor(err), messageFor(err)));
    });
  }

  private countBytes(n: number): boolean {
    if (this.dropped) return false;
    if (this.dropAfter === undefined) return true;
    if (this.dropAfter.moved + n > this.dropAfter.limit) {
      this.dropped = true;
      this.drop();
      return false;
    }
    this.dropAfter.moved += n;
    return true;
  }

  private ok(reqid: number): void {
    this.safe(() => this.sftp.status(reqid, STATUS_CODE.OK));
  }

  private async applyAttrs(path: string, attrs: InputAttributes): Promise<void> {
    if (attrs.size !== undefined) await truncate(path, attrs.size);
    if (typeof attrs.mode === 'number') await chmod(path, attrs.mode & 0o7777);
    if (attrs.atime !== undefined || attrs.mtime !== undefined) {
      const s = await stat(path);
      await utimes(path, attrs.atime ?? s.atime, attrs.mtime ?? s.mtime);
    }
    // uid/gid changes are ignored: EFS ownership comes from the user's PosixProfile.
  }

  attach(): void {
    const { sftp } = this;
    sftp.on('error', () => undefined);
    // The client's EOF means it is done: close the channel once queued handle work finished,
    // or OpenSSH's `bye` would wait forever.
    sftp.on('end', () => {
      void Promise.all([...this.handles.values()].map((h) => h.queue)).then(() => this.safe(() => sftp.end()));
    });
    sftp.on('close', () => {
      for (const h of this.handles.values()) {
        if (h.kind === 'file') void h.fh.close().catch(() => undefined);
        else void h.dir.close().catch(() => undefined);
      }
      this.handles.clear();
    });

    sftp.on('REALPATH', (reqid, path) => this.serve(reqid, async () => {
      const v = this.jail.virtual(path);
      const attrs = await this.jail.disk(v).then((d) => stat(d)).then(toAttrs).catch(() => ({}) as Attributes);
      this.safe(() => sftp.name(reqid, [{ filename: v, longname: v, attrs }]));
    }));

    const statLike = (follow: boolean) => (reqid: number, path: string): void => this.serve(reqid, async () => {
      const disk = await this.jail.disk(path, { followFinal: follow });
      const s = follow ? await stat(disk) : await lstat(disk);
      this.safe(() => sftp.attrs(reqid, toAttrs(s)));
    });
    sftp.on('STAT', statLike(true));
    sftp.on('LSTAT', statLike(false));

    sftp.on('SETSTAT', (reqid, path, attrs) => this.serve(reqid, async () => {
      await this.applyAttrs(await this.jail.disk(path), attrs);
      this.ok(reqid);
    }));

    sftp.on('OPEN', (reqid, filename, flags, attrs) => this.serve(reqid, async () => {
      const disk = await this.jail.disk(filename);
      const fh = await open(disk, openFlags(flags), typeof attrs.mode === 'number' ? attrs.mode & 0o7777 : 0o644);
      const id = this.nextHandle++;
      this.handles.set(id, { kind: 'file', fh, path: disk, queue: Promise.resolve() });
      this.safe(() => sftp.handle(reqid, this.handleBuffer(id)));
    }));

    sftp.on('READ', (reqid, handle, offset, length) => this.onHandle(reqid, handle, async (h) => {
      if (h.kind !== 'file') throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      const buf = Buffer.allocUnsafe(Math.min(length, 256 * 1024));
      const { bytesRead } = await h.fh.read(buf, 0, buf.length, offset);
      if (bytesRead === 0) {
        this.safe(() => sftp.status(reqid, STATUS_CODE.EOF));
        return;
      }
      if (!this.countBytes(bytesRead)) return;
      this.safe(() => sftp.data(reqid, buf.subarray(0, bytesRead)));
    }));

    sftp.on('WRITE', (reqid, handle, offset, data) => this.onHandle(reqid, handle, async (h) => {
      if (h.kind !== 'file') throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
      if (!this.countBytes(data.length)) return;
      if (this.writeLatencyMs > 0) await sleep(this.writeLatencyMs);
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await h.fh.write(data, written, data.length - written, offset + written);
        written += bytesWritten;
      }
      this.onWritten(h.path, written);
      this.ok(reqid);
    }));

    sftp.on('FSTAT', (reqid, handle) => this.onHandle(reqid, handle, async (h) => {
      const s = h.kind === 'file' ? await h.fh.stat() : await stat(h.path);
      this.safe(() => sftp.attrs(reqid, toAttrs(s)));
    }));

    sftp.on('FSETSTAT', (reqid, handle, attrs) => this.onHandle(reqid, handle, async (h) => {
      if (h.kind === 'file') {
        if (attrs.size !== undefined) await h.fh.truncate(attrs.size);
        if (typeof attrs.mode === 'number') await h.fh.chmod(attrs.mode & 0o7777);
        if (attrs.atime !== undefined || attrs.mtime !== undefined) {
          const s = await h.fh.stat();
          await h.fh.utimes(attrs.atime ?? s.atime, attrs.mtime ?? s.mtime);
        }
      } else {
        await this.applyAttrs(h.path, attrs);
      }
      this.ok(reqid);
    }));

    sftp.on('CLOSE', (reqid, handle) => this.onHandle(reqid, handle, async (h) => {
      this.handles.delete(handle.readUInt32BE());
      if (h.kind === 'file') await h.fh.close();
      else await h.dir.close().catch(() => undefined);
      this.ok(reqid);
    }));

    sftp.on('OPENDIR', (reqid, path) => this.serve(reqid, async () => {
      const disk = await this.jail.disk(path);
      const dir = await opendir(disk);
      const id = this.nextHandle++;
      this.handles.set(id, { kind: 'dir', dir, path: disk, done: false, queue: Promise.resolve() });
      this.safe(() => sftp.handle(reqid, this.handleBuffer(id)));
    }));

    sftp.on('READDIR', (reqid, handle) => this.onHandle(reqid, handle, async (h) => {
      if (h.kind !== 'dir') throw Object.assign(new Error('not a dir'), { code: 'ENOTDIR' });
      if (h.done) {
        this.safe(() => sftp.status(reqid, STATUS_CODE.EOF));
        return;
      }
      const names: { filename: string; longname: string; attrs: Attributes }[] = [];
      // Batches keep replies well under the SFTP packet limit for directories of any size.
      while (names.length < 100) {
        const entry = await h.dir.read();
        if (entry === null) {
          h.done = true;
          break;
        }
        const s = await lstat(`${h.path}/${entry.name}`).catch(() => undefined);
        if (s) names.push({ filename: entry.name, longname: longname(entry.name, s), attrs: toAttrs(s) });
      }
      if (names.length === 0) {
        this.safe(() => sftp.status(reqid, STATUS_CODE.EOF));
        return;
      }
      this.safe(() => sftp.name(reqid, names));
    }));

    sftp.on('MKDIR', (reqid, path, attrs) => this.serve(reqid, async () => {
      await mkdir(await this.jail.disk(path), { mode: typeof attrs.mode === 'number' ? attrs.mode & 0o7777 : 0o755 });
      this.ok(reqid);
    }));

    sftp.on('RMDIR', (reqid, path) => this.serve(reqid, async () => {
      await rmdir(await this.jail.disk(path, { followFinal: false }));
      this.ok(reqid);
    }));

    sftp.on('REMOVE', (reqid, path) => this.serve(reqid, async () => {
      await unlink(await this.jail.disk(path, { followFinal: false }));
      this.ok(reqid);
    }));

    // Transfer on EFS overwrites an existing target, unlike the SFTP v3 draft; rename(2) does.
    const renameOverwriting = async (reqid: number, from: string, to: string): Promise<void> => {
      const src = await this.jail.disk(from, { followFinal: false });
      const dst = await this.jail.disk(to, { followFinal: false });
      await rename(src, dst);
      this.ok(reqid);
    };
    sftp.on('RENAME', (reqid, from, to) => this.serve(reqid, () => renameOverwriting(reqid, from, to)));

    sftp.on('READLINK', (reqid, path) => this.serve(reqid, async () => {
      const target = await readlink(await this.jail.disk(path, { followFinal: false }));
      this.safe(() => sftp.name(reqid, [{ filename: target, longname: target, attrs: {} as Attributes }]));
    }));

    // Symlinks could point anywhere on the host; Transfer users cannot create them either.
    sftp.on('SYMLINK', (reqid) => this.safe(() => sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED, 'Symlinks are not supported')));

    sftp.on('EXTENDED', (reqid, extName, extData) => {
      if (extName === 'posix-rename@openssh.com' && extData) {
        const oldLen = extData.readUInt32BE(0);
        const from = extData.toString('utf8', 4, 4 + oldLen);
        const newLen = extData.readUInt32BE(4 + oldLen);
        const to = extData.toString('utf8', 8 + oldLen, 8 + oldLen + newLen);
        this.serve(reqid, () => renameOverwriting(reqid, from, to));
        return;
      }
      this.safe(() => sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED));
    });
  }
}
