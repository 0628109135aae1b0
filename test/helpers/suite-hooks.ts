import { after, before } from 'node:test';

/** Anything a test file starts once and stops when its tests are done. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * Registers the file's before/after hooks: `start` runs once before the tests, `use` receives
 * what it started (so the file can keep its own `env`, `sim`… bindings), and `stop` runs after.
 * Called at a file's top level, like `before` and `after` themselves.
 */
export function suiteHooks<S extends Stoppable>(start: () => Promise<S>, use: (suite: S) => void = () => undefined): void {
  let suite: S | undefined;
  before(async () => {
    suite = await start();
    use(suite);
  });
  after(async () => {
    await suite?.stop();
  });
}
