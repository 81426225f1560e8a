import { TestClient } from '../../packages/server/test/helpers/TestClient.js';

export type { TestClient };

/**
 * Opens a bare protocol client (the tests' raw client, no SDK) where the bench needs many cheap
 * connections (idle peers, seeding) or a baseline without the SDK. It pings on the server's heartbeat
 * (a silent peer is closed after three intervals), retries `rate_limited` after the delay the server
 * asks for, and gives a loaded server a long while to answer.
 */
export function connectRaw(url: string, token: string, timeoutMs = 30_000): Promise<TestClient> {
  return TestClient.connect(url, token, { timeoutMs, requestTimeoutMs: 600_000, retryRateLimited: true, heartbeat: true });
}
