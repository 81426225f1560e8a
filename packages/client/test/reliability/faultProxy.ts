// A fault-injecting TCP proxy on loopback, between websocket clients and the server. Driven by a
// seeded PRNG, on each chunk forwarded it may: drop the connection (reset both sides), cut it mid-frame
// (forward only part of the chunk, then reset), stall it half-open (forward nothing more either way,
// close nothing), or delay it (every later chunk waits, order kept). New connections may be refused.
import { connect, createServer, type Server, type Socket } from 'node:net';

export type Fault = 'drop' | 'cut' | 'stall' | 'delay' | 'refuse';

export interface FaultRates {
  /** Probability per forwarded chunk of each fault. */
  readonly drop: number;
  readonly cut: number;
  readonly stall: number;
  readonly delay: number;
  /** Probability per accepted connection of refusing it. */
  readonly refuse: number;
  /** Added latency of a delayed connection, ms (drawn per connection up to this). */
  readonly maxDelayMs: number;
}

export interface FaultProxy {
  readonly url: string;
  /** Faults injected so far, by kind. */
  readonly injected: Readonly<Record<Fault, number>>;
  readonly accepted: number;
  /** While false, the proxy forwards faithfully (existing stalled connections stay stalled). */
  enabled: boolean;
  /** Resets every connection open now (stalled ones included). */
  cutAll(): void;
  close(): Promise<void>;
}

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  stalled: boolean;
  delayMs: number;
  /** Tail of the delayed-write chain per direction, so order is kept. */
  chain: Promise<void>;
}

export async function startFaultProxy(targetPort: number, rates: FaultRates, seed: number): Promise<FaultProxy> {
  const random = seededRandom(seed);
  const pairs = new Set<Pair>();
  const injected: Record<Fault, number> = { drop: 0, cut: 0, stall: 0, delay: 0, refuse: 0 };
  let accepted = 0;

  const reset = (pair: Pair): void => {
    pairs.delete(pair);
    if (!pair.client.destroyed) pair.client.resetAndDestroy();
    if (!pair.upstream.destroyed) pair.upstream.resetAndDestroy();
  };

  const forward = (pair: Pair, chunk: Buffer, to: Socket): void => {
    if (pair.stalled || to.destroyed) return;
    if (proxy.enabled) {
      const roll = random();
      let at = rates.drop;
      if (roll < at) {
        injected.drop += 1;
        reset(pair);
        return;
      }
      if (roll < (at += rates.cut)) {
        injected.cut += 1;
        // Part of the chunk only: the peer is left inside a websocket frame when the line goes dead.
        const keep = chunk.length > 1 ? 1 + Math.floor(random() * (chunk.length - 1)) : 0;
        if (keep > 0) to.write(chunk.subarray(0, keep), () => reset(pair));
        else reset(pair);
        return;
      }
      if (roll < (at += rates.stall)) {
        injected.stall += 1;
        pair.stalled = true;
        return;
      }
      if (roll < (at += rates.delay) && pair.delayMs === 0) {
        injected.delay += 1;
        pair.delayMs = 1 + Math.floor(random() * rates.maxDelayMs);
      }
    }
    if (pair.delayMs === 0) {
      to.write(chunk);
      return;
    }
    const delay = pair.delayMs;
    pair.chain = pair.chain.then(
      () =>
        new Promise<void>((resolve) => {
          setTimeout(() => {
            if (!pair.stalled && !to.destroyed) to.write(chunk);
            resolve();
          }, delay).unref();
        }),
    );
  };

  const server: Server = createServer((client) => {
    accepted += 1;
    client.on('error', () => undefined);
    if (proxy.enabled && random() < rates.refuse) {
      injected.refuse += 1;
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    upstream.on('error', () => undefined);
    const pair: Pair = { client, upstream, stalled: false, delayMs: 0, chain: Promise.resolve() };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => forward(pair, chunk, upstream));
    upstream.on('data', (chunk: Buffer) => forward(pair, chunk, client));
    // A stalled pair stays open however the other side behaves: that is what half-open means.
    client.on('close', () => {
      if (!pair.stalled) reset(pair);
    });
    upstream.on('close', () => {
      if (!pair.stalled) reset(pair);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');

  const proxy: FaultProxy = {
    url: `ws://127.0.0.1:${address.port}`,
    injected,
    get accepted() {
      return accepted;
    },
    enabled: true,
    cutAll() {
      for (const pair of [...pairs]) reset(pair);
    },
    close() {
      proxy.cutAll();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
