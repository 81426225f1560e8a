// A websocket message never grows past this: a long replay goes out as several arrays rather than one
// message a browser must buffer and parse in one go.
const MAX_MESSAGE_CHARS = 512 * 1024;
// While a backlog is pending, how often the socket's buffer is looked at again.
const PACE_MS = 2;

/** Where the queue writes; a `ws` WebSocket satisfies it. */
export interface OutboundSink {
  readonly bufferedAmount: number;
  send(data: string): void;
}

/**
 * Per-connection outbound queue (PERF-2): frames enqueued in one tick leave together on
 * `setImmediate`, one frame as itself and several as one JSON array. Frames arrive already serialised,
 * so an event shared by many recipients is stringified once.
 *
 * Slow consumers (SRV-5): before each write, a socket holding more than `maxBufferedBytes` unsent is a
 * reader that is not keeping up, and the queue stops. A resume backlog is the exception: it is already
 * in memory (read from the event log, bounded by its retention) and would overflow any socket buffer if
 * written at once, so it is paced: written only while the socket holds less than half the bound, with
 * everything enqueued later held behind it in order. What waits behind a backlog counts towards the
 * bound, so a reader that stops during its replay is still cut (or dropped by the heartbeat).
 */
export class OutboundQueue {
  private frames: string[] = [];
  private pendingChars = 0;
  private backlog: string[] = [];
  private backlogAt = 0;
  private replaying = false;
  private scheduled = false;
  private paceTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly sink: OutboundSink,
    private readonly maxBufferedBytes: number,
    /** Called (once) when the peer does not read fast enough; the queue stops. */
    private readonly onSlowConsumer: () => void,
  ) {}

  enqueue(frame: string): void {
    if (this.stopped) return;
    this.frames.push(frame);
    this.pendingChars += frame.length;
    this.schedule();
  }

  /** Frames that leave at the reader's pace, ahead of anything enqueued after them (a resume replay). */
  enqueueBacklog(frames: readonly string[]): void {
    if (this.stopped || frames.length === 0) return;
    // Whatever was enqueued before the backlog goes first.
    // concat, not push(...): a replay can be longer than the engine's argument limit.
    this.backlog = this.backlog.concat(this.frames, frames);
    this.frames = [];
    this.pendingChars = 0;
    this.replaying = true;
    this.schedule();
  }

  /** Writes what may be written now (before a close frame, for instance). */
  flush(): void {
    this.scheduled = false;
    if (this.stopped) return;
    if (this.replaying) {
      // The backlog, then the socket's share of it, must drain before anything else leaves; what
      // arrives meanwhile waits, within the bound.
      if (this.writeBacklog() && this.sink.bufferedAmount <= this.maxBufferedBytes) {
        this.replaying = false;
      } else {
        if (this.pendingChars > this.maxBufferedBytes) this.slowConsumer();
        else if (this.backlog.length > 0 || this.frames.length > 0) this.pace();
        return;
      }
    }
    if (this.frames.length === 0) return;
    if (this.sink.bufferedAmount > this.maxBufferedBytes) {
      this.slowConsumer();
      return;
    }
    const frames = this.frames;
    this.frames = [];
    this.pendingChars = 0;
    this.write(frames, 0, frames.length);
  }

  /** Drops anything queued and refuses more (the connection is closing). */
  stop(): void {
    this.stopped = true;
    this.frames = [];
    this.backlog = [];
    this.pendingChars = 0;
    if (this.paceTimer !== undefined) clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
  }

  private schedule(): void {
    if (this.scheduled || this.paceTimer !== undefined) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private pace(): void {
    if (this.paceTimer !== undefined) return;
    this.paceTimer = setTimeout(() => {
      this.paceTimer = undefined;
      this.flush();
    }, PACE_MS);
  }

  /** Writes backlog while the socket has room; true once the backlog is gone. */
  private writeBacklog(): boolean {
    const lowWater = this.maxBufferedBytes / 2;
    while (this.backlogAt < this.backlog.length && this.sink.bufferedAmount < lowWater) {
      this.backlogAt = this.write(this.backlog, this.backlogAt, this.backlog.length, Math.min(MAX_MESSAGE_CHARS, lowWater));
    }
    if (this.backlogAt < this.backlog.length) return false;
    this.backlog = [];
    this.backlogAt = 0;
    return true;
  }

  /**
   * Sends `frames[from, to)`, one frame as itself and several as JSON arrays of at most
   * MAX_MESSAGE_CHARS; given `onlyChars`, only the first message, of at most that size. Returns the
   * index after the last frame sent.
   */
  private write(frames: readonly string[], from: number, to: number, onlyChars?: number): number {
    const limit = onlyChars ?? MAX_MESSAGE_CHARS;
    if (to - from === 1) {
      this.sink.send(frames[from]!);
      return to;
    }
    let start = from;
    let chars = 0;
    for (let i = from; i < to; i++) {
      chars += frames[i]!.length + 1;
      // Close the message before the next frame would take it past the limit (a lone frame may exceed it).
      if (i === to - 1 || chars + frames[i + 1]!.length + 1 > limit) {
        this.sink.send(i === start ? frames[i]! : `[${frames.slice(start, i + 1).join(',')}]`);
        start = i + 1;
        chars = 0;
        if (onlyChars !== undefined) return start;
      }
    }
    return to;
  }

  private slowConsumer(): void {
    this.stop();
    this.onSlowConsumer();
  }
}
