/** What fan-out needs of a live (welcomed) connection. */
export interface LivePeer {
  readonly identity: string;
  /** Events up to this position reached the peer another way (its handshake replay): not sent again. */
  readonly floor: number;
  /** Queues a serialised frame on the connection. */
  enqueue(frame: string): void;
  /** Ends the connection so that its client resumes (this node lost events it cannot replay). */
  drop(): void;
}

/**
 * A committed event ready to go out: one frame, serialised once, for a conversation's live members or
 * one user's connections. `membership` carries a membership change the event makes, applied in log order
 * so a newcomer receives the events after their `conversationAdded` and a leaver none after theirs.
 */
export interface Delivery {
  readonly seq: number;
  readonly frame: string;
  readonly conversationSid: string | null;
  readonly identity: string | null;
  readonly membership?: { readonly join: string } | { readonly leave: string } | { readonly end: string };
}

/**
 * Live connections by identity, the conversations each online user belongs to, and who watches whom
 * (`users.subscribe`). A conversation event reaches its online members through one set lookup, whatever
 * the member count (CORE-2). It never touches storage: a user's conversations are handed to
 * {@link Fanout.add} when they come online.
 */
export class Fanout {
  private readonly byIdentity = new Map<string, Set<LivePeer>>();
  private readonly members = new Map<string, Set<string>>();
  private readonly conversationsOf = new Map<string, Set<string>>();
  private readonly watchers = new Map<string, Set<LivePeer>>();

  isOnline(identity: string): boolean {
    return this.byIdentity.has(identity);
  }

  /**
   * Registers a live peer. `conversationSids` (the user's conversations) is needed only for the user's
   * first peer; true when it is the first (the user came online).
   */
  add(peer: LivePeer, conversationSids: readonly string[] | null): boolean {
    let peers = this.byIdentity.get(peer.identity);
    const first = peers === undefined;
    if (peers === undefined) {
      peers = new Set();
      this.byIdentity.set(peer.identity, peers);
      const own = new Set<string>();
      this.conversationsOf.set(peer.identity, own);
      for (const sid of conversationSids ?? []) this.join(peer.identity, sid);
    }
    peers.add(peer);
    return first;
  }

  /** Unregisters a peer and its watches; true when it was the identity's last (the user went offline). */
  remove(peer: LivePeer, watched: Iterable<string>): boolean {
    this.unwatch(peer, watched);
    const peers = this.byIdentity.get(peer.identity);
    if (peers === undefined || !peers.delete(peer)) return false;
    if (peers.size > 0) return false;
    this.byIdentity.delete(peer.identity);
    for (const sid of this.conversationsOf.get(peer.identity) ?? []) this.members.get(sid)?.delete(peer.identity);
    this.conversationsOf.delete(peer.identity);
    return true;
  }

  /** Queues a committed event on its recipients' live connections; called in log order. */
  deliver(delivery: Delivery): void {
    const m = delivery.membership;
    if (m !== undefined && 'join' in m && delivery.identity !== null && this.isOnline(delivery.identity)) this.join(delivery.identity, m.join);
    if (delivery.identity !== null) this.sendEvent(delivery.identity, delivery);
    else if (delivery.conversationSid !== null) {
      for (const identity of this.members.get(delivery.conversationSid) ?? []) this.sendEvent(identity, delivery);
    }
    if (m !== undefined && 'leave' in m && delivery.identity !== null) this.leave(delivery.identity, m.leave);
    if (m !== undefined && 'end' in m) {
      for (const identity of this.members.get(m.end) ?? []) this.conversationsOf.get(identity)?.delete(m.end);
      this.members.delete(m.end);
    }
  }

  /** Ends every live connection so that each resumes (events were lost to this node). */
  dropAll(): void {
    for (const peers of [...this.byIdentity.values()]) for (const peer of [...peers]) peer.drop();
  }

  /** Queues a frame on every live connection of `identity`. */
  sendTo(identity: string, frame: string): void {
    const peers = this.byIdentity.get(identity);
    if (peers !== undefined) for (const peer of peers) peer.enqueue(frame);
  }

  private sendEvent(identity: string, delivery: Delivery): void {
    const peers = this.byIdentity.get(identity);
    if (peers !== undefined) for (const peer of peers) if (delivery.seq > peer.floor) peer.enqueue(delivery.frame);
  }

  /** Queues a frame on the live connections of a conversation's online members except `except`. */
  sendToMembers(conversationSid: string, frame: string, except: string): void {
    for (const identity of this.members.get(conversationSid) ?? []) if (identity !== except) this.sendTo(identity, frame);
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

  private join(identity: string, sid: string): void {
    let members = this.members.get(sid);
    if (members === undefined) {
      members = new Set();
      this.members.set(sid, members);
    }
    members.add(identity);
    this.conversationsOf.get(identity)?.add(sid);
  }

  private leave(identity: string, sid: string): void {
    const members = this.members.get(sid);
    if (members !== undefined) {
      members.delete(identity);
      if (members.size === 0) this.members.delete(sid);
    }
    this.conversationsOf.get(identity)?.delete(sid);
  }
}
