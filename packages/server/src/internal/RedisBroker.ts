import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { done, wait, type Bus, type BusListener, type BusSignal, type LoggedEvent, type Presence, type Step } from '@rx-conversations/server-core';

/** A node that has not beaten for this long is taken for dead: its users count as offline. */
const NODE_TIMEOUT_MS = 30_000;
const HEARTBEAT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;

interface EventsMessage {
  readonly n: string;
  readonly e: readonly LoggedEvent[];
}

interface SignalMessage {
  readonly n: string;
  readonly s: BusSignal;
}

/**
 * Redis as the nodes' bus and presence (SCALE-2, SCALE-4). Pub/sub carries each commit's events and
 * each signal to the other nodes, at most once: a lost message is found again by the relay's poll of
 * the database, which stays the truth. Presence is a hash per identity of connection counts by node,
 * and a sorted set of nodes by last heartbeat, so the users of a killed node go offline once its
 * heartbeat is stale. When Redis is unreachable the node keeps serving: delivery falls back to the
 * poll, presence and connection counts to this node's own.
 */
export class RedisBroker implements Bus, Presence {
  readonly shared = true;
  readonly nodeId = randomBytes(8).toString('hex');
  private listener: BusListener | undefined;
  private readonly local = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  private subscribedOnce = false;
  private closed = false;

  private constructor(
    private readonly commands: Redis,
    private readonly subscriber: Redis,
    private readonly namespace: string,
    private readonly logger: Logger,
    private readonly clock: () => number,
  ) {
    subscriber.on('message', (channel: string, text: string) => this.received(channel, text));
    // ioredis resubscribes after a reconnect; what was published meanwhile is read from the database.
    subscriber.on('ready', () => {
      if (this.subscribedOnce) {
        this.logger.info('broker link restored; catching up from the database');
        this.listener?.reconnected();
      }
    });
    for (const client of [commands, subscriber]) client.on('error', (err: Error) => logger.warn({ err: err.message }, 'broker link error'));
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Connects (failing fast with a clear message) and joins the cluster's channels. */
  static async open(url: string, namespace: string, logger: Logger, clock: () => number): Promise<RedisBroker> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError(`The broker URL ${JSON.stringify(url)} is not a URL; expected redis://host:port.`);
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new TypeError(`The broker URL must start with redis:// or rediss://, not ${parsed.protocol}//.`);
    }
    const connect = (): Redis =>
      new Redis(url, { lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const commands = connect();
    const subscriber = connect();
    try {
      await Promise.all([commands.connect(), subscriber.connect()]);
    } catch (err) {
      commands.disconnect();
      subscriber.disconnect();
      throw new Error(`Cannot reach the broker at ${parsed.host}: ${(err as Error).message}`, { cause: err });
    }
    const broker = new RedisBroker(commands, subscriber, namespace, logger, clock);
    await subscriber.subscribe(broker.channel('ev'), broker.channel('sig'));
    broker.subscribedOnce = true;
    await broker.beat();
    return broker;
  }

  publishEvents(events: readonly LoggedEvent[]): void {
    this.publish('ev', JSON.stringify({ n: this.nodeId, e: events } satisfies EventsMessage));
  }

  publishSignal(signal: BusSignal): void {
    this.publish('sig', JSON.stringify({ n: this.nodeId, s: signal } satisfies SignalMessage));
  }

  listen(listener: BusListener): void {
    this.listener = listener;
  }

  /** Online on any live node (SCALE-4). */
  isOnline(identity: string): Step<boolean> {
    if (this.local.has(identity)) return done(true);
    return wait(this.connectionsOf(identity).then((n) => n > 0));
  }

  changed(): void {}

  /** A connection of `identity` opened on this node. */
  opened(identity: string): void {
    this.local.set(identity, (this.local.get(identity) ?? 0) + 1);
    this.commands.hincrby(this.key('c', identity), this.nodeId, 1).catch(this.lostCommand);
  }

  /** A connection of `identity` closed on this node. */
  closedConnection(identity: string): void {
    const left = (this.local.get(identity) ?? 1) - 1;
    if (left > 0) this.local.set(identity, left);
    else this.local.delete(identity);
    const key = this.key('c', identity);
    const update = left > 0 ? this.commands.hset(key, this.nodeId, left) : this.commands.hdel(key, this.nodeId);
    update.catch(this.lostCommand);
  }

  /** Online on any live node; this node's own connections when the broker cannot be asked. */
  private async connectionsOf(identity: string): Promise<number> {
    return (this.local.get(identity) ?? 0) + (await this.remoteConnectionsOf(identity));
  }

  /** Connections of `identity` on other live nodes; none when the broker cannot be asked. */
  async remoteConnectionsOf(identity: string): Promise<number> {
    try {
      const [counts, alive] = await Promise.all([
        this.commands.hgetall(this.key('c', identity)),
        this.commands.zrangebyscore(this.key('nodes'), this.clock() - NODE_TIMEOUT_MS, '+inf'),
      ]);
      const live = new Set(alive);
      let total = 0;
      for (const [node, count] of Object.entries(counts)) if (node !== this.nodeId && live.has(node)) total += Number(count);
      return total;
    } catch (err) {
      this.lostCommand(err);
      return 0;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    try {
      const pipeline = this.commands.pipeline().zrem(this.key('nodes'), this.nodeId);
      for (const identity of this.local.keys()) pipeline.hdel(this.key('c', identity), this.nodeId);
      await pipeline.exec();
    } catch (err) {
      this.lostCommand(err);
    }
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  private async beat(): Promise<void> {
    try {
      await this.commands.zadd(this.key('nodes'), this.clock(), this.nodeId);
    } catch (err) {
      this.lostCommand(err);
    }
  }

  private publish(kind: 'ev' | 'sig', text: string): void {
    this.commands.publish(this.channel(kind), text).catch(this.lostCommand);
  }

  private received(channel: string, text: string): void {
    const listener = this.listener;
    if (listener === undefined) return;
    try {
      if (channel === this.channel('ev')) {
        const message = JSON.parse(text) as EventsMessage;
        if (message.n !== this.nodeId) listener.events(message.e);
      } else if (channel === this.channel('sig')) {
        const message = JSON.parse(text) as SignalMessage;
        if (message.n !== this.nodeId) listener.signal(message.s);
      }
    } catch (err) {
      this.logger.error({ err, channel }, 'a broker message could not be handled');
    }
  }

  // Commands fail fast while the link is down (no offline queue): the database and the poll cover it.
  private readonly lostCommand = (err: unknown): void => {
    if (!this.closed) this.logger.debug({ err: (err as Error).message }, 'broker command failed');
  };

  private channel(kind: 'ev' | 'sig'): string {
    return `${this.namespace}:${kind}`;
  }

  private key(...parts: string[]): string {
    return [this.namespace, ...parts].join(':');
  }
}
