/**
 * A step of server work that may wait on storage. Ops and store methods are generator functions: an
 * embedded store (SQLite, memory) answers every call at once, so {@link runSync} runs a whole op in one
 * synchronous turn — a write is one transaction, its events are queued before its reply, and the test
 * kit applies effects when called. A networked store (PostgreSQL) yields promises instead, and
 * {@link runAsync} awaits them. The op code is the same for both: `const row = yield* tx.getUser(id)`.
 */
export type Step<T> = Generator<PromiseLike<unknown>, T, unknown>;

/** A step that needs nothing: `return yield* done(value)` in a method that answers at once. */
// eslint-disable-next-line require-yield
export function* done<T>(value: T): Step<T> {
  return value;
}

/** Waits for a promise inside a step (networked stores only). */
export function* wait<T>(promise: PromiseLike<T>): Step<T> {
  return (yield promise) as T;
}

/** Runs a step that must not wait; throws if it does (a networked store driven synchronously). */
export function runSync<T>(step: Step<T>): T {
  const result = step.next();
  if (result.done !== true) {
    step.return(undefined as never);
    throw new Error('this work waits on I/O; run it with run()');
  }
  return result.value;
}

/**
 * Runs a step: synchronously to its end when it never waits (embedded stores), else as a promise that
 * awaits each wait and throws its errors back into the step.
 */
export function run<T>(step: Step<T>): T | Promise<T> {
  const first = step.next();
  return first.done === true ? first.value : finish(step, first.value);
}

async function finish<T>(step: Step<T>, waiting: PromiseLike<unknown>): Promise<T> {
  let pending = waiting;
  for (;;) {
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await pending };
    } catch (error) {
      outcome = { ok: false, error };
    }
    // A failed wait is thrown into the step, which may catch it (a transaction rolls back there).
    const result = outcome.ok ? step.next(outcome.value) : step.throw(outcome.error);
    if (result.done === true) return result.value;
    pending = result.value;
  }
}
