import type { Database, Statement } from 'better-sqlite3';
import type { EventKind, Events } from '@rx-conversations/protocol';

/** One serialised event frame bound for one user's live connections. */
export interface Delivery {
  readonly identity: string;
  readonly frame: string;
}

/** Retention bounds of every user's log (SRV-4). */
export interface RetentionLimits {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
}

interface LoggedRow {
  seq: number;
  at: number;
  kind: string;
  payload: string;
}

// Frames are assembled around the stored payload text: an event shared by N recipients is serialised
// once, and replay never parses what it only forwards.
function eventFrame(seq: number, kind: string, payload: string, at: number): string {
  return `{"type":"ev","seq":${seq},"kind":"${kind}","data":${payload},"at":${at}}`;
}

/**
 * The per-user durable event log (SRV-4, CONN-5): each recipient gets the next sequence number of their
 * own log, so resume is "everything after N". Appends run inside the caller's write transaction.
 */
export class EventLog {
  private readonly s: {
    insertEvent: Statement<[string, string, number]>;
    nextSeq: Statement<[string], { head_seq: number }>;
    insertUserEvent: Statement<[string, number, number, number]>;
    trimUser: Statement<[string, number]>;
    head: Statement<[string], { head_seq: number }>;
    floor: Statement<[string], { seq: number }>;
    readAfter: Statement<[string, number], LoggedRow>;
    pruneOlder: Statement<[number]>;
    pruneOrphans: Statement<[]>;
  };

  constructor(
    db: Database,
    private readonly limits: RetentionLimits,
  ) {
    const p = <A extends unknown[], R = unknown>(sql: string) => db.prepare<A, R>(sql);
    this.s = {
      insertEvent: p('INSERT INTO events (kind, payload, at) VALUES (?, ?, ?)'),
      nextSeq: p('UPDATE users SET head_seq = head_seq + 1 WHERE identity = ? RETURNING head_seq'),
      insertUserEvent: p('INSERT INTO user_events (identity, seq, event_id, at) VALUES (?, ?, ?, ?)'),
      trimUser: p('DELETE FROM user_events WHERE identity = ? AND seq <= ?'),
      head: p('SELECT head_seq FROM users WHERE identity = ?'),
      floor: p('SELECT seq FROM user_events WHERE identity = ? ORDER BY seq LIMIT 1'),
      readAfter: p(`SELECT ue.seq, ue.at, e.kind, e.payload FROM user_events ue JOIN events e ON e.id = ue.event_id
        WHERE ue.identity = ? AND ue.seq > ? ORDER BY ue.seq`),
      pruneOlder: p('DELETE FROM user_events WHERE at < ?'),
      // Event ids grow with time, so everything below the oldest referenced id is unreferenced.
      pruneOrphans: p(`DELETE FROM events WHERE id < (SELECT COALESCE(MIN(event_id), (SELECT MAX(id) + 1 FROM events))
        FROM user_events)`),
    };
  }

  /**
   * Appends one event to each recipient's log (their users rows must exist) and returns the frames to
   * deliver once the surrounding transaction commits.
   */
  append<K extends EventKind>(recipients: readonly string[], kind: K, data: Events[K], at: number): Delivery[] {
    if (recipients.length === 0) return [];
    const payload = JSON.stringify(data);
    const eventId = Number(this.s.insertEvent.run(kind, payload, at).lastInsertRowid);
    const deliveries: Delivery[] = [];
    for (const identity of recipients) {
      const row = this.s.nextSeq.get(identity);
      if (row === undefined) throw new Error('event recipient has no users row');
      const seq = row.head_seq;
      this.s.insertUserEvent.run(identity, seq, eventId, at);
      // Count-based retention, paid one row at a time as the log grows past its bound.
      if (seq > this.limits.maxEvents) this.s.trimUser.run(identity, seq - this.limits.maxEvents);
      deliveries.push({ identity, frame: eventFrame(seq, kind, payload, at) });
    }
    return deliveries;
  }

  /** The user's newest sequence number (0 before any event). */
  head(identity: string): number {
    return this.s.head.get(identity)?.head_seq ?? 0;
  }

  /**
   * The frames after `lastSeq`, or null when retention already dropped some of them (resync). Call it
   * in the same tick as registering the connection for live delivery, so nothing falls in between.
   */
  readAfter(identity: string, lastSeq: number, head: number): string[] | null {
    if (lastSeq >= head) return [];
    const floor = this.s.floor.get(identity)?.seq;
    if (floor === undefined || floor > lastSeq + 1) return null;
    return this.s.readAfter.all(identity, lastSeq).map((row) => eventFrame(row.seq, row.kind, row.payload, row.at));
  }

  /** Drops entries older than the age bound, then payloads nobody references any more. */
  prune(now: number): void {
    this.s.pruneOlder.run(now - this.limits.maxAgeMs);
    this.s.pruneOrphans.run();
  }
}
