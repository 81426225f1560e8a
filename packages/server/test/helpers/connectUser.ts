import type { RunningServer } from '../../src/index.js';
import { tokenFor } from './testKeys.js';
import { TestClient, type ConnectOptions } from './TestClient.js';

/** Connects `identity` to `server` with a fresh valid token and completes the handshake. */
export async function connectUser(server: RunningServer, identity: string, options?: ConnectOptions): Promise<TestClient> {
  return TestClient.connect(server.url, await tokenFor(identity), options);
}

let counter = 0;
/** A unique idempotency key. */
export function key(): string {
  counter += 1;
  return `key-${process.pid}-${counter}-${Math.random().toString(36).slice(2)}`;
}
