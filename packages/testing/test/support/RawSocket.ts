import {
  decodeServerMessage,
  type ErrorFrame,
  type EventFrame,
  type EventKind,
  type OpArgs,
  type OpName,
  type ResultFrame,
  type ServerFrame,
  type WelcomeFrame,
} from '@rx-conversations/protocol';
import type { FakeServer, FakeWebSocket } from '../../src/index.js';

/** Lets microtask-delivered frames (and their replies) flow until nothing is left to run. */
export async function settle(turns = 100): Promise<void> {
  for (let i = 0; i < turns; i += 1) await Promise.resolve();
}

/** A protocol-level client for the fake: records every frame and message, no SDK logic. */
export class RawSocket {
  readonly socket: FakeWebSocket;
  readonly frames: ServerFrame[] = [];
  /** Raw websocket messages (one may hold a batch). */
  readonly messages: string[] = [];
  readonly events: string[] = [];
  closeEvent: { code: number; reason: string; wasClean: boolean } | null = null;
  private nextId = 1;

  constructor(fake: FakeServer, token: string, protocols: string[] = ['rxc.v1', `rxc.auth.${token}`]) {
    this.socket = new fake.WebSocket(fake.url, protocols);
    this.socket.onopen = () => this.events.push('open');
    this.socket.onerror = () => this.events.push('error');
    this.socket.onclose = (event) => {
      this.events.push('close');
      this.closeEvent = { code: event.code, reason: event.reason, wasClean: event.wasClean };
    };
    this.socket.onmessage = (event) => {
      const data = String(event.data);
      this.messages.push(data);
      const frames = decodeServerMessage(data);
      if (frames === null) throw new Error(`undecodable message ${data}`);
      this.frames.push(...frames);
    };
  }

  /** Opens a socket for `identity`, says hello and waits for the welcome. */
  static async connect(fake: FakeServer, identity: string, lastSeq?: number): Promise<RawSocket> {
    const raw = new RawSocket(fake, fake.tokenFor(identity));
    await settle();
    raw.send(lastSeq === undefined ? { type: 'hello', v: 2 } : { type: 'hello', v: 2, lastSeq });
    await settle();
    if (raw.welcome === undefined) throw new Error(`no welcome for ${identity}: ${JSON.stringify(raw.frames)}`);
    return raw;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a request and returns its reply. */
  async request<O extends OpName>(op: O, args: OpArgs<O>): Promise<ResultFrame<O> | ErrorFrame> {
    const id = this.nextId++;
    this.send({ type: 'req', id, op, args });
    await settle();
    const reply = this.frames.find((f): f is ResultFrame<O> | ErrorFrame => f.type === 'res' && f.id === id);
    if (reply === undefined) throw new Error(`no reply to ${op} #${id}`);
    return reply;
  }

  /** Sends a request that must succeed and returns its result. */
  async ok<O extends OpName>(op: O, args: OpArgs<O>): Promise<ResultFrame<O>['result']> {
    const reply = await this.request(op, args);
    if (!reply.ok) throw new Error(`${op} failed: ${reply.error.code} ${reply.error.message}`);
    return reply.result;
  }

  /** The error code of a request that must fail. */
  async error<O extends OpName>(op: O, args: OpArgs<O>): Promise<string> {
    const reply = await this.request(op, args);
    if (reply.ok) throw new Error(`${op} unexpectedly succeeded`);
    return reply.error.code;
  }

  get welcome(): WelcomeFrame | undefined {
    return this.frames.find((f): f is WelcomeFrame => f.type === 'welcome');
  }

  /** Durable events received, optionally of one kind. */
  evs<K extends EventKind>(kind?: K): EventFrame<K>[] {
    return this.frames.filter((f): f is EventFrame<K> => f.type === 'ev' && (kind === undefined || f.kind === kind));
  }

  /** Forgets what was received so far (the socket stays as it is). */
  clear(): void {
    this.frames.length = 0;
    this.messages.length = 0;
  }
}
