import type { LoggedEvent } from './Store.js';

/** An ephemeral frame for other nodes' connections: never stored, never replayed (typing, user signals). */
export type BusSignal =
  | { readonly to: 'members'; readonly conversationSid: string; readonly except: string; readonly frame: string }
  | { readonly to: 'watchers'; readonly identity: string; readonly frame: string };

/** What a node does with what other nodes publish. */
export interface BusListener {
  /** Events other nodes committed, in their commit order (possibly with gaps: the bus may drop). */
  events(events: readonly LoggedEvent[]): void;
  signal(signal: BusSignal): void;
  /** The link came back after a loss: whatever was published meanwhile must be read from the store. */
  reconnected(): void;
}

/**
 * How nodes tell each other about commits and signals (SCALE-2). At most once and only to cut latency:
 * every event can be read back from the store by position, and a node never depends on having seen
 * every bus message (the relay repairs gaps from the store).
 */
export interface Bus {
  /** False for the one-node bus: no other node writes, so nothing needs polling. */
  readonly shared: boolean;
  publishEvents(events: readonly LoggedEvent[]): void;
  publishSignal(signal: BusSignal): void;
  /** Starts delivering other nodes' messages to `listener`. */
  listen(listener: BusListener): void;
}

/** The bus of a single node: nobody else to tell. */
export const localBus: Bus = {
  shared: false,
  publishEvents: () => {},
  publishSignal: () => {},
  listen: () => {},
};
