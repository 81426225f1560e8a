import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** What `bench/run.mjs` tells each figure process (env `RXC_BENCH`). */
export interface BenchConfig {
  /** Smoke mode: small sizes, finishes in seconds. */
  readonly quick: boolean;
  /** Directory holding the bundled bench entries (`<name>.mjs`). */
  readonly buildDir: string;
  /** Scratch directory for SQLite files and the like; removed by the orchestrator. */
  readonly tmpDir: string;
  /** With `--profile`: where client processes write a V8 CPU profile of their measured interval. */
  readonly profileDir?: string;
}

/** Reads the configuration; a figure run by hand gets full sizes and paths next to its own bundle. */
export function readConfig(): BenchConfig {
  const raw = process.env.RXC_BENCH;
  if (raw) return JSON.parse(raw) as BenchConfig;
  const here = path.dirname(fileURLToPath(import.meta.url));
  return { quick: false, buildDir: here, tmpDir: path.join(here, 'tmp') };
}

/** Picks the full-size or the quick-size value. */
export function size<T>(config: BenchConfig, full: T, quick: T): T {
  return config.quick ? quick : full;
}
