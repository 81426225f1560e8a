import { Observable, type OperatorFunction } from 'rxjs';
import { ConversationsError } from '../ConversationsError.js';
import type { SynchronizationStatus } from '../SynchronizationStatus.js';

/**
 * Over a `synchronization$` stream: emits once and completes when it reaches `'completed'`; errors
 * with a `ConversationsError` when it reaches `'failed'`. Use it to gate work on the first full
 * synchronisation (CONN-6).
 *
 * @example
 * client.synchronization$.pipe(whenSynchronized(), switchMap(() => client.conversations$));
 */
export function whenSynchronized(): OperatorFunction<SynchronizationStatus, void> {
  return (source) =>
    new Observable<void>((subscriber) =>
      source.subscribe({
        next: (status) => {
          if (status === 'completed') {
            subscriber.next();
            subscriber.complete();
          } else if (status === 'failed') {
            subscriber.error(new ConversationsError('internal_error', 'Synchronisation failed'));
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.error(new ConversationsError('client_shut_down')),
      }),
    );
}
