import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeJsonFile } from '../json-file.js';

/** A multipart upload this run started and has not completed or aborted yet. */
export interface OpenUpload {
  key: string;
  uploadId: string;
  /** What the parts are of: a retry resumes the upload only for the very same file content. */
  size: number;
  sha256: string;
  partSize: number;
}

/**
 * The run's multipart uploads, in a file of the run's dir (not in heartbeat details, which are
 * sent at most once a second: a crash between CreateMultipartUpload and the next beat would
 * lose the id and bill the parts until the end-of-run cleanup). Written atomically on every change.
 */
export class UploadJournal {
  private constructor(private readonly file: string, private readonly open: Map<string, OpenUpload>) {}

  static async load(dir: string): Promise<UploadJournal> {
    const file = path.join(dir, 's3-multipart-journal.json');
    const raw = await readFile(file, 'utf8').catch(() => '[]');
    const entries = JSON.parse(raw) as OpenUpload[];
    return new UploadJournal(file, new Map(entries.map((e) => [e.key, e])));
  }

  get(key: string): OpenUpload | undefined {
    return this.open.get(key);
  }

  all(): OpenUpload[] {
    return [...this.open.values()];
  }

  async put(entry: OpenUpload): Promise<void> {
    this.open.set(entry.key, entry);
    await this.save();
  }

  async remove(key: string): Promise<void> {
    if (this.open.delete(key)) await this.save();
  }

  // Concurrent uploads save in turn, so a write never lands over a newer one.
  private saving: Promise<void> = Promise.resolve();

  private save(): Promise<void> {
    const entries = this.all();
    this.saving = this.saving.then(() => writeJsonFile(this.file, entries));
    return this.saving;
  }
}
