import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Subject, filter, firstValueFrom, timeout } from 'rxjs';
import pino from 'pino';
import Sqlite, { type Database } from 'better-sqlite3';
import { Checkpointer, type CheckpointResult } from '../../src/internal/Checkpointer.js';
import { openDatabase } from '../../src/internal/openDatabase.js';
import { tempDatabase } from '../helpers/tempDatabase.js';

const ROUNDS = 4;
const COMMITS = 500;

/** Rounds of small commits (~1 KB each); after each round, `settle` (wait for a checkpoint); the log's size on disk at the end. */
async function writeRounds(db: Database, path: string, settle: () => Promise<void>): Promise<number> {
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)');
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  const commit = db.transaction((body: string) => insert.run(body));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < COMMITS; i++) commit(`${round}:${i}:${'x'.repeat(1000)}`);
    await settle();
  }
  return statSync(`${path}-wal`).size;
}

// PERF-4: checkpoints run on their own thread, so no commit on the event loop copies the log into the
// database file. What a user would notice if this broke: a log that grows without bound, or lost data.
describe('Checkpointer (PERF-4: WAL checkpoints off the event loop)', () => {
  const files = [tempDatabase(), tempDatabase()];
  afterAll(() => files.forEach((f) => f.cleanup()));

  it('PERF-4: the main connection never checkpoints; the thread copies every commit, the log restarts instead of growing, and nothing is lost', async () => {
    // Control: the same writes with nobody checkpointing; the log only grows.
    const control = openDatabase(files[0]!.path, 'normal');
    control.pragma('wal_autocheckpoint = 0');
    const unchecked = await writeRounds(control, files[0]!.path, () => Promise.resolve());
    control.close();

    const { path } = files[1]!;
    const db = openDatabase(path, 'normal');
    const checkpoints = new Subject<CheckpointResult>();
    const checkpointer = new Checkpointer(db, path, 'NORMAL', pino({ level: 'silent' }), { intervalMs: 10, onCheckpoint: (r) => checkpoints.next(r) });
    try {
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      const checked = await writeRounds(db, path, async () => {
        // A checkpoint that started after the round's last commit (an earlier one's report may still be on its way).
        const roundEnd = performance.timeOrigin + performance.now();
        const all = await firstValueFrom(checkpoints.pipe(filter((r) => r.startedAt > roundEnd && r.checkpointed === r.log), timeout(10_000)));
        expect(all.log).toBeGreaterThan(0);
      });
      // Each round reuses the log from its start once the previous one was copied: at most about one
      // round's worth of log, where the control holds all four.
      expect(checked).toBeLessThan(unchecked / 2);
    } finally {
      await checkpointer.stop();
      db.close();
    }
    const reopened = new Sqlite(path, { readonly: true });
    expect(reopened.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: ROUNDS * COMMITS });
    reopened.close();
  });

  it('PERF-4: if the thread cannot checkpoint, the main connection checkpoints on commit again (the log does not grow unchecked)', async () => {
    const { path } = files[0]!;
    const db = openDatabase(path, 'normal');
    // The thread opens a file that does not exist, fails, and ends.
    const checkpointer = new Checkpointer(db, `${path}.missing`, 'NORMAL', pino({ level: 'silent' }));
    await checkpointer.stop();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    db.close();
  });
});
