import { firstValueFrom, from, throwError, timeout, type Observable, type ObservableInput } from 'rxjs';

/**
 * The first value of `source` (a promise or an observable), or an error naming `what` once `ms` have
 * passed: a bounded wait, never a sleep. `what` may be a function, read only when the time is up.
 *
 * @example
 * const port = await within(listening$, 15_000, 'the child server to listen');
 */
export function within<T>(source: ObservableInput<T> | Observable<T>, ms: number, what: string | (() => string)): Promise<T> {
  const named = () => (typeof what === 'string' ? what : what());
  return firstValueFrom(from(source).pipe(timeout({ first: ms, with: () => throwError(() => new Error(`timed out after ${ms} ms waiting for ${named()}`)) })));
}
