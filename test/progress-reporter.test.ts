import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProgressChannel, type ProgressClock } from '../activities/progress/report-progress.js';

// The shared progress channel's timing on an injected clock: whatever the step's age, a change
// reaches the workflow within a minute; updates coalesce; a failed signal is retried, not thrown;
// stop() leaves nothing behind.

const FRESHNESS_BOUND_MS = 60_000;
const DAY_MS = 24 * 3600_000;

class FakeClock implements ProgressClock {
  private t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.t + Math.max(0, ms), fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }
  pending(): number {
    return this.timers.length;
  }
  /** Moves time to `to`, firing due timers in order and letting each send's promise settle. */
  async advanceTo(to: number): Promise<void> {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > to) break;
      this.timers.shift();
      this.t = due.at;
      due.fn();
      await settle();
    }
    this.t = to;
  }
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

interface Tick {
  value: number;
  at: number;
}

test('a change made on day 3 reaches the workflow within a minute, as on minute 1', async () => {
  const clock = new FakeClock();
  const delivered: { value: number; at: number }[] = [];
  const channel = new ProgressChannel<Tick>({
    clock,
    send: async (p) => {
      delivered.push({ value: p.value, at: clock.now() });
    },
  });
  // Something changes every second for three days (value n at n seconds); every simulated
  // second, the oldest change the workflow has not yet seen must be at most a minute old.
  let worst = 0;
  let worstOnDay3 = 0;
  const end = 3 * DAY_MS;
  for (let t = 0, value = 0; t <= end; t += 1000, value += 1) {
    await clock.advanceTo(t);
    const seen = delivered.at(-1)?.value ?? -1;
    if (seen < value - 1) {
      const staleness = t - (seen + 1) * 1000;
      worst = Math.max(worst, staleness);
      if (t > 2 * DAY_MS) worstOnDay3 = Math.max(worstOnDay3, staleness);
    }
    channel.report({ value, at: t });
    await settle();
  }
  channel.stop();
  assert.ok(worst <= FRESHNESS_BOUND_MS, `the status was ${worst / 1000} s stale at worst`);
  assert.ok(worstOnDay3 <= FRESHNESS_BOUND_MS, `on day 3 the status was ${worstOnDay3 / 1000} s stale`);
  assert.ok(worstOnDay3 > 0, 'the throttle does coalesce on day 3');
  // Coalescing keeps the history within reason: far fewer signals than updates.
  assert.ok(delivered.length < end / 1000 / 10, `${delivered.length} signals for ${end / 1000} updates`);
  assert.equal(clock.pending(), 0, 'stop() leaves no timer');
});

test('after hours of silence, one change goes out at once; a burst right after waits at most a minute', async () => {
  const clock = new FakeClock();
  const sentAt: number[] = [];
  const channel = new ProgressChannel<Tick>({
    clock,
    key: (p) => String(p.value),
    send: async () => {
      sentAt.push(clock.now());
    },
  });
  channel.report({ value: 0, at: 0 });
  await settle();
  await clock.advanceTo(2 * DAY_MS + 7 * 3600_000);
  channel.report({ value: 0, at: clock.now() });
  await settle();
  assert.equal(sentAt.length, 1, 'an unchanged update is not sent again');
  const changedAt = clock.now();
  channel.report({ value: 1, at: changedAt });
  await settle();
  assert.equal(sentAt.at(-1), changedAt, 'the first change after a quiet spell is sent at once');
  const burstAt = changedAt + 1000;
  await clock.advanceTo(burstAt);
  channel.report({ value: 2, at: burstAt });
  await settle();
  await clock.advanceTo(burstAt + FRESHNESS_BOUND_MS);
  assert.equal(sentAt.length, 3);
  assert.ok(sentAt[2]! - burstAt <= FRESHNESS_BOUND_MS, `sent ${(sentAt[2]! - burstAt) / 1000} s after the change`);
  channel.stop();
});

test('coalesced updates keep what the merge keeps; a failing signal neither throws nor blocks, and is retried', async () => {
  const clock = new FakeClock();
  const payloads: { events: string[] }[] = [];
  const errors: unknown[] = [];
  let failNext = 1;
  let hang: (() => void) | undefined;
  const channel = new ProgressChannel<{ events: string[] }>({
    clock,
    merge: (pending, next) => ({ events: [...pending.events, ...next.events].slice(-5) }),
    onError: (err) => errors.push(err),
    send: (p) => {
      if (failNext > 0) {
        failNext -= 1;
        return Promise.reject(new Error('workflow unreachable'));
      }
      if (p.events.includes('hang')) return new Promise<void>((resolve) => (hang = resolve));
      payloads.push(p);
      return Promise.resolve();
    },
  });
  channel.report({ events: ['a'] });
  await settle();
  assert.equal(errors.length, 1, 'the failure is reported to onError');
  channel.report({ events: ['b'] });
  channel.report({ events: ['c'] });
  await clock.advanceTo(FRESHNESS_BOUND_MS);
  assert.deepEqual(payloads, [{ events: ['a', 'b', 'c'] }], 'the failed update is retried, merged with the newer ones');

  // A signal that never returns does not hold up report(); updates wait, merged, behind it.
  channel.report({ events: ['hang'] });
  await clock.advanceTo(2 * FRESHNESS_BOUND_MS);
  for (const e of ['d', 'e', 'f', 'g', 'h', 'i']) channel.report({ events: [e] });
  await clock.advanceTo(3 * FRESHNESS_BOUND_MS);
  assert.equal(payloads.length, 1);
  hang?.();
  await settle();
  await clock.advanceTo(4 * FRESHNESS_BOUND_MS);
  assert.deepEqual(payloads.at(-1), { events: ['e', 'f', 'g', 'h', 'i'] });

  channel.report({ events: ['j'] });
  await settle();
  channel.report({ events: ['k'] }); // too soon after 'j': pending, then dropped by stop()
  channel.stop();
  channel.report({ events: ['l'] });
  await clock.advanceTo(5 * FRESHNESS_BOUND_MS);
  assert.deepEqual(payloads.slice(2), [{ events: ['j'] }], 'nothing is sent after stop()');
  assert.equal(clock.pending(), 0);
});
