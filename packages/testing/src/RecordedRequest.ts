import type { OpArgs, OpName } from '@rx-conversations/protocol';

/**
 * A request the {@link FakeServer} received from a client socket (`fake.requests`,
 * `fake.requests$`), whether it succeeded or not. Actor requests are not recorded.
 *
 * @example
 * ```ts
 * import type { FakeServer } from '@rx-conversations/testing';
 *
 * declare const fake: FakeServer;
 * const sends = fake.requests.filter((r) => r.op === 'messages.send');
 * ```
 */
export interface RecordedRequest<O extends OpName = OpName> {
  readonly connectionId: string;
  readonly identity: string;
  readonly id: number;
  readonly op: O;
  readonly args: OpArgs<O>;
  /** Server time when it arrived. */
  readonly at: number;
}
