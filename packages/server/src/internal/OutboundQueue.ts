// A websocket message never grows past this: a long replay goes out as several arrays rather than one
// message a browser must buffer and parse in one go.
const MAX_MESSAGE_CHARS = 512 * 1024;

/** Where the queue writes; a `ws` WebSocket satisfies it. */
export interface OutboundSink {
  readonly bufferedAmount: number;
  send(data: string): void;
}

/**
 * Per-connection outbound queue (PERF-2): frames enqueued in one tick leave together on
 * `setImmediate`, one frame as itself and several as one JSON array. Frames arrive already serialised,
 * so an event shared by many recipients is stringified once.
 */
export class OutboundQueue {
  private frames: string[] = [];
  private scheduled = false;
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
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is queued now (before a close frame, for instance). */
  flush(): void {
    this.scheduled = false;
    if (this.stopped || this.frames.length === 0) return;
    const frames = this.frames;
    this.frames = [];
    if (this.sink.bufferedAmount > this.maxBufferedBytes) {
      this.stop();
      this.onSlowConsumer();
      return;
    }
    if (frames.length === 1) {
      this.sink.send(frames[0]!);
      return;
    }
    let start = 0;
    let chars = 0;
    for (let i = 0; i < frames.length; i++) {
      chars += frames[i]!.length + 1;
      if (chars >= MAX_MESSAGE_CHARS || i === frames.length - 1) {
        this.sink.send(i === start ? frames[i]! : `[${frames.slice(start, i + 1).join(',')}]`);
        start = i + 1;
        chars = 0;
      }
    }
  }

  /** Drops anything queued and refuses more (the connection is closing). */
  stop(): void {
    this.stopped = true;
    this.frames = [];
  }
}
