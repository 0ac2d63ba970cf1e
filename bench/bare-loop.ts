import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The physical limit of this machine for Hive's job, with no engine: enqueue, claim and complete tasks on
 * better-sqlite3 in batches, one event row per change, WAL + synchronous FULL. Returns tasks per second.
 */
export function bareLoop(n: number, batch: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'hive-bare-'));
  const db = new Database(join(dir, 'bare.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE tasks (id INTEGER PRIMARY KEY, title TEXT NOT NULL, priority INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, result TEXT, updated_at INTEGER NOT NULL);
      CREATE INDEX tasks_ready ON tasks (priority, id) WHERE status = 'queued';
      CREATE TABLE events (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, type TEXT NOT NULL, subject TEXT NOT NULL, data TEXT NOT NULL);`);
    const ins = db.prepare(`INSERT INTO tasks (title, priority, status, updated_at) VALUES (?, 2, 'queued', ?) RETURNING id`);
    const ev = db.prepare('INSERT INTO events (time, type, subject, data) VALUES (?, ?, ?, ?)');
    const pick = db.prepare(`SELECT id FROM tasks WHERE status = 'queued' ORDER BY priority, id LIMIT ?`);
    const start = db.prepare(`UPDATE tasks SET status = 'running', attempts = attempts + 1, updated_at = ? WHERE id = ?`);
    const done = db.prepare(`UPDATE tasks SET status = 'completed', result = ?, updated_at = ? WHERE id = ? AND status = 'running'`);
    const enqueue = db.transaction((count: number) => {
      const now = Date.now();
      for (let i = 0; i < count; i++) {
        const { id } = ins.get(`task ${i}`, now) as { id: number };
        ev.run(now, 'task.enqueued', `task:${id}`, '{"status":"queued"}');
      }
    });
    const claim = db.transaction((): number[] => {
      const now = Date.now();
      const ids = (pick.all(batch) as { id: number }[]).map((r) => r.id);
      for (const id of ids) {
        start.run(now, id);
        ev.run(now, 'task.started', `task:${id}`, '{"attempt":1}');
      }
      return ids;
    });
    const complete = db.transaction((ids: number[]) => {
      const now = Date.now();
      for (const id of ids) {
        done.run(null, now, id);
        ev.run(now, 'task.completed', `task:${id}`, '{"attempt":1}');
      }
    });
    const t0 = performance.now();
    for (let i = 0; i < n; i += batch) enqueue(Math.min(batch, n - i));
    for (;;) {
      const ids = claim();
      if (ids.length === 0) break;
      complete(ids);
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
