/**
 * Progress of the client's synchronisation with the server (CONN-6), Twilio's values:
 * `started` → `conversationsListCompleted` (every subscribed conversation is in the store) →
 * `completed`; or `failed`. A fresh or resynchronising session starts over at `started`.
 *
 * @example
 * client.synchronization$.subscribe((status) => console.log('sync', status));
 */
export type SynchronizationStatus = 'started' | 'conversationsListCompleted' | 'completed' | 'failed';
