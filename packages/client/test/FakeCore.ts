import { BehaviorSubject, ReplaySubject, Subject } from 'rxjs';
import type { OpArgs, OpName, OpResult, User } from '@rx-conversations/protocol';
import type { ClientCoreLike } from '../src/ConversationsClient.js';
import type { InboundFrame, RequestOptions, SessionStart } from '../src/internal/Session.js';
import type { ConnectionState } from '../src/ConnectionState.js';
import { ConversationsError } from '../src/ConversationsError.js';
import type { TokenExpiryNotice } from '../src/internal/core/TokenLifecycle.js';
import { user } from './fixtures.js';

export interface RecordedCall {
  readonly op: OpName;
  readonly args: unknown;
  readonly options: RequestOptions | undefined;
}

type Handler = (op: OpName, args: any, core: FakeCore) => unknown;

/**
 * A scripted connection core for store tests: inbound frames and sessions are pushed by the test;
 * requests go to `handler` (sync value, promise, or throw) and are recorded.
 */
export class FakeCore implements ClientCoreLike {
  identity = 'alice';
  readonly inboundSubject = new Subject<readonly InboundFrame[]>();
  readonly sessionsSubject = new Subject<SessionStart>();
  readonly stateSubject = new BehaviorSubject<ConnectionState>('connecting');
  readonly shutdownSubject = new ReplaySubject<void>(1);
  readonly inbound$ = this.inboundSubject.asObservable();
  readonly sessions$ = this.sessionsSubject.asObservable();
  readonly connectionState$ = this.stateSubject.asObservable();
  readonly shutdown$ = this.shutdownSubject.asObservable();
  readonly tokenAboutToExpire$ = new Subject<TokenExpiryNotice>();
  readonly tokenExpired$ = new Subject<void>();
  readonly connectionError$ = new Subject<ConversationsError>();
  readonly calls: RecordedCall[] = [];
  private seq = 0;
  shutDown = false;

  constructor(public handler: Handler = () => null) {}

  request<O extends OpName>(op: O, args: OpArgs<O>, options?: RequestOptions): Promise<OpResult<O>> {
    this.calls.push({ op, args, options });
    if (this.shutDown) return Promise.reject(new ConversationsError('client_shut_down'));
    try {
      return Promise.resolve(this.handler(op, args, this) as OpResult<O>);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  callsOf(op: OpName): RecordedCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  /** Delivers durable events (numbered here) as one batch. */
  emit(...events: { kind: string; data: unknown }[]): void {
    this.inboundSubject.next(events.map((e) => ({ type: 'ev', seq: ++this.seq, kind: e.kind, data: e.data, at: 0 }) as InboundFrame));
  }

  get headSeq(): number {
    return this.seq;
  }

  /** The position a persistent cache asked to resume from (OFFLINE-1), once read. */
  resumedFrom: Promise<number | null> | undefined;

  get lastAppliedSeq(): number {
    return this.seq;
  }

  resumeFrom(position: Promise<number | null>): void {
    this.resumedFrom = position.then((seq) => {
      if (seq !== null) this.seq = seq;
      return seq;
    });
  }

  signal(kind: 'typing' | 'userUpdated', data: unknown): void {
    this.inboundSubject.next([{ type: 'sig', kind, data } as InboundFrame]);
  }

  welcome(resume: SessionStart['resume'] = 'fresh', me: User = user(this.identity)): void {
    this.stateSubject.next('connected');
    this.sessionsSubject.next({ resume, headSeq: this.seq, user: me, connectionId: 'c1' });
  }

  updateToken(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    this.shutDown = true;
    this.shutdownSubject.next();
    this.shutdownSubject.complete();
    this.stateSubject.next('disconnected');
    this.stateSubject.complete();
    return Promise.resolve();
  }
}
