import type { Delivery } from './EventLog.js';

/** What the hub needs of a live (welcomed) connection. */
export interface LivePeer {
  readonly identity: string;
  enqueue(frame: string): void;
}

/**
 * Live connections by identity, and who watches whom (`users.subscribe`). All fan-out goes through
 * here; it never touches the database.
 */
export class Hub {
  private readonly byIdentity = new Map<string, Set<LivePeer>>();
  private readonly watchers = new Map<string, Set<LivePeer>>();

  /** Registers a live peer; true when it is the identity's first (the user came online). */
  add(peer: LivePeer): boolean {
    let peers = this.byIdentity.get(peer.identity);
    if (peers === undefined) {
      peers = new Set();
      this.byIdentity.set(peer.identity, peers);
    }
    peers.add(peer);
    return peers.size === 1;
  }

  /** Unregisters a peer and its watches; true when it was the identity's last (the user went offline). */
  remove(peer: LivePeer, watched: Iterable<string>): boolean {
    this.unwatch(peer, watched);
    const peers = this.byIdentity.get(peer.identity);
    if (peers === undefined || !peers.delete(peer)) return false;
    if (peers.size > 0) return false;
    this.byIdentity.delete(peer.identity);
    return true;
  }

  isOnline(identity: string): boolean {
    return this.byIdentity.has(identity);
  }

  /** Queues committed events on each recipient's live connections, in the order given. */
  deliver(deliveries: readonly Delivery[]): void {
    for (const { identity, frame } of deliveries) {
      const peers = this.byIdentity.get(identity);
      if (peers !== undefined) for (const peer of peers) peer.enqueue(frame);
    }
  }

  /** Queues a frame on every live connection of `identity`. */
  sendTo(identity: string, frame: string): void {
    const peers = this.byIdentity.get(identity);
    if (peers !== undefined) for (const peer of peers) peer.enqueue(frame);
  }

  /** Queues a frame on every connection watching `identity`. */
  sendToWatchers(identity: string, frame: string): void {
    const peers = this.watchers.get(identity);
    if (peers !== undefined) for (const peer of peers) peer.enqueue(frame);
  }

  watch(peer: LivePeer, identities: Iterable<string>): void {
    for (const identity of identities) {
      let peers = this.watchers.get(identity);
      if (peers === undefined) {
        peers = new Set();
        this.watchers.set(identity, peers);
      }
      peers.add(peer);
    }
  }

  unwatch(peer: LivePeer, identities: Iterable<string>): void {
    for (const identity of identities) {
      const peers = this.watchers.get(identity);
      if (peers === undefined) continue;
      peers.delete(peer);
      if (peers.size === 0) this.watchers.delete(identity);
    }
  }
}
