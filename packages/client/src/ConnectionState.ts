/**
 * The client's connection state, with Twilio's meanings (CONN-2):
 * - `connecting`: opening a socket, or reconnecting within the reconnection period;
 * - `connected`: handshake done, events flowing;
 * - `disconnecting`: `shutdown()` in progress;
 * - `disconnected`: shut down, or the reconnection period ran out (retries go on, slower);
 * - `denied`: the token was rejected or expired; only `updateToken()` leaves this state.
 */
export type ConnectionState = 'connecting' | 'connected' | 'disconnecting' | 'disconnected' | 'denied';
