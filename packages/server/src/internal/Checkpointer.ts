import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';

/** How often the checkpoint thread copies the write-ahead log into the database file. */
export const CHECKPOINT_INTERVAL_MS = 500;

/** One checkpoint's outcome, as SQLite reports it (`PRAGMA wal_checkpoint`). */
export interface CheckpointResult {
  /** Frames in the write-ahead log. */
  readonly log: number;
  /** Of those, frames now copied into the database file. */
  readonly checkpointed: number;
  /** When the checkpoint started (`performance.timeOrigin + performance.now()`: comparable across threads). */
  readonly startedAt: number;
}

export interface CheckpointerOptions {
  readonly intervalMs?: number;
  /** Called on the main thread after each checkpoint (tests watch it). */
  readonly onCheckpoint?: (result: CheckpointResult) => void;
}

/**
 * Runs the SQLite WAL checkpoints on a thread of their own (PERF-4, PERF-6). SQLite's default is to
 * checkpoint inside the commit that takes the log past 1,000 pages: that commit copies the log into
 * the database file and fsyncs both, 5–15 ms on the 2-core VM, once every few hundred sends, on the
 * event loop; those commits were the longest stalls in the server's profile and set PERF-4's p99.
 * Here the main connection never checkpoints (`wal_autocheckpoint = 0`), and a worker thread with its
 * own connection to the same file runs a PASSIVE checkpoint every {@link CHECKPOINT_INTERVAL_MS}: in
 * WAL mode a checkpoint neither blocks nor waits for the writer, and the writer restarts the log from
 * its beginning once a checkpoint has copied all of it, so the log stays as small as before.
 *
 * Durability is unchanged: a commit is durable once its frames are in the log (`synchronous = NORMAL`:
 * survives a process crash; `FULL`: also power loss, fsync per commit), whoever checkpoints it later.
 * If the thread fails, the main connection checkpoints by itself again (SQLite's default), with a warning.
 */
export class Checkpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(
    private readonly db: Database,
    file: string,
    synchronous: 'NORMAL' | 'FULL',
    private readonly logger: Logger,
    options: CheckpointerOptions = {},
  ) {
    db.pragma('wal_autocheckpoint = 0');
    // Evaluated code, not a file beside this one: the server is also bundled (the bench, applications),
    // where no such file would exist. The driver is resolved here and handed over by absolute path.
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver, file, synchronous, intervalMs: options.intervalMs ?? CHECKPOINT_INTERVAL_MS },
    });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.on('message', (message: CheckpointResult) => options.onCheckpoint?.(message));
    this.worker.on('error', (err) => {
      this.logger.warn({ err }, 'the checkpoint thread failed; the database checkpoints on commit again');
      this.fallBack();
    });
  }

  /** Stops the thread (after the checkpoint in progress, if any); the caller then closes the database. */
  stop(): Promise<void> {
    // Referenced again: otherwise a process with nothing else left to do would end before the thread.
    this.worker.ref();
    this.worker.postMessage('stop');
    return this.exited;
  }

  private fallBack(): void {
    if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.driver);
const db = new Sqlite(workerData.file, { fileMustExist: true });
db.pragma('synchronous = ' + workerData.synchronous);
const timer = setInterval(() => {
  const startedAt = performance.timeOrigin + performance.now();
  const [row] = db.pragma('wal_checkpoint(PASSIVE)');
  if (row.log > 0) parentPort.postMessage({ log: row.log, checkpointed: row.checkpointed, startedAt });
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;
