import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { JournalWriter, readJournal, type JournalEntry } from '../activities/sync/sync-journal.js';

const upload = (i: number): JournalEntry => ({ op: 'upload', path: `d/f-${i}.bin`, size: i, mtime: 1_700_000_000 + i, attempt: 1 });

test('the sync journal: a burst of renames lands whole and in order, each add settles once its line is on disk', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'journal-'));
  try {
    const file = path.join(dir, 'run', 'sync-journal.jsonl');
    const writer = await new JournalWriter(file).open();
    // As the upload does it: not awaited, hundreds in one tick.
    const adds = Array.from({ length: 300 }, (_, i) => writer.add(upload(i)));
    await adds[0];
    const afterFirst = await readFile(file, 'utf8');
    assert.ok(afterFirst.startsWith(`${JSON.stringify(upload(0))}\n`), 'the first line is on disk once its add settles');
    await adds[299];
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    assert.deepEqual(lines, Array.from({ length: 300 }, (_, i) => JSON.stringify(upload(i))));
    // Merged into few writes: one for the first line, one for the rest that queued behind it.
    assert.ok(adds.filter((p, i) => i > 0 && p !== adds[i - 1]).length <= 2, 'a burst costs at most two appends');

    writer.add({ op: 'delete', path: 'd/gone.bin', size: 3, attempt: 1 }).catch(() => undefined);
    await writer.flush();
    const journal = await readJournal(file);
    assert.equal(journal.uploads.size, 300);
    assert.deepEqual([...journal.deletes.keys()], ['d/gone.bin']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the sync journal: a failed append fails flush, and an add nobody awaits does not crash the worker', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'journal-'));
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    // The journal's path is a directory: every append fails with EISDIR.
    const writer = await new JournalWriter(dir).open();
    void writer.add(upload(1));
    void writer.add(upload(2));
    await assert.rejects(writer.flush(), /EISDIR/);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await rm(dir, { recursive: true, force: true });
  }
});
