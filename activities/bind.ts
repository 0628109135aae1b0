/**
 * The one way an activity gets what it needs from the worker: it is written as
 * `f(dependency, input)` and bound here, so the registered activity is a plain async function
 * of its input (as in Temporal's samples) and a test can bind the same function to its own sim.
 */
export function bind<D, I, R>(dependency: D, activity: (dependency: D, input: I) => Promise<R>): (input: I) => Promise<R> {
  return (input: I) => activity(dependency, input);
}
