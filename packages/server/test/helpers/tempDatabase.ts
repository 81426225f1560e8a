import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh SQLite path in a new temp directory, and a cleanup. */
export function tempDatabase(): { dir: string; path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'rxc-server-'));
  return { dir, path: join(dir, 'nested', 'test.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
