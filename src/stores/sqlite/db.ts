import Database from 'better-sqlite3';
import { ensureDir } from '../../fs/dirs.js';
import { dirname } from 'node:path';
import { HiveError } from '../../core/errors.js';

type Statement = Database.Statement;

/** Events written by one multi-row INSERT at most. */
const EVENT_CHUNK = 64;
/** Values per buffered event: seq, time, type, subject, data, prev. */
const EV = 6;

/** The task id of a `task:<id>` subject (canonical positive integer), else null. */
export function taskIdOf(subject: string): number | null {
  return /^task:[1-9][0-9]{0,14}$/.test(subject) ? Number(subject.slice(5)) : null;
}

/**
 * One SQLite connection: WAL, synchronous FULL (or NORMAL), a busy timeout so the CLI and `hive up` can
 * share the file, a cache of prepared statements keyed by their SQL, and IMMEDIATE write transactions.
 *
 * Events are appended through event() or taskEvent(): they get their seq at once (the transaction holds the
 * write lock, so MAX(seq) + 1 is what SQLite would assign) and are inserted, in order, by multi-row INSERTs
 * just before the transaction commits (one statement per EVENT_CHUNK events instead of one each). They are
 * still written in the transaction of the change they record; savepoint() drops the events of a rolled-back
 * savepoint, and a failed transaction drops them all. So a savepoint inside a write must be Db.savepoint(),
 * never one of the driver's own (`raw.transaction`), and nothing reads the events table inside a write
 * transaction.
 *
 * The events of one task form a chain instead of an index entry each (0004): `events.prev` is the seq of the
 * task's previous event (0 for its first) and `tasks.last_seq` the seq of its latest, so `task:<id>` lookups
 * walk the chain. Other events (prev NULL) are indexed by subject in `events_unchained`.
 */
export class Db {
  readonly raw: Database.Database;
  private readonly stmts = new Map<string, Statement>();
  /** Runs a function in a transaction (`.immediate`) or, inside one, in a savepoint (plain call). */
  private readonly txFn: Database.Transaction<(f: () => unknown) => unknown>;
  /** Buffered events of the open transaction, EV values each, flattened. */
  private events: (string | number | null)[] = [];
  /** The last seq given out in the open transaction; -1: not read yet. */
  private seq = -1;

  constructor(path: string, durability: 'full' | 'normal') {
    try {
      if (path !== ':memory:') ensureDir(dirname(path));
      this.raw = new Database(path);
      this.raw.pragma('journal_mode = WAL');
      this.raw.pragma(`synchronous = ${durability === 'full' ? 'FULL' : 'NORMAL'}`);
      this.raw.pragma('busy_timeout = 10000');
      this.raw.pragma('foreign_keys = OFF');
    } catch (err) {
      throw new HiveError('STORE_UNAVAILABLE', `cannot open SQLite store at ${path}: ${(err as Error).message}`, { cause: err });
    }
    this.txFn = this.raw.transaction((f: () => unknown) => f());
  }

  /** The prepared statement for `sql`, prepared once. */
  q(sql: string): Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.raw.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /** Like q(), but the statement returns rows as arrays (raw mode): cheaper for wide rows. */
  qa(sql: string): Statement {
    const key = `raw:${sql}`;
    let s = this.stmts.get(key);
    if (!s) {
      s = this.raw.prepare(sql).raw(true);
      this.stmts.set(key, s);
    }
    return s;
  }

  /** Like q(), for a statement of one column: returns its values (pluck mode). */
  qv(sql: string): Statement {
    const key = `pluck:${sql}`;
    let s = this.stmts.get(key);
    if (!s) {
      s = this.raw.prepare(sql).pluck(true);
      this.stmts.set(key, s);
    }
    return s;
  }

  /** Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, so no upgrade deadlocks). */
  tx<T>(fn: () => T): T {
    if (this.raw.inTransaction) return this.savepoint(fn);
    this.events.length = 0;
    this.seq = -1;
    try {
      return this.txFn.immediate(() => {
        const out = fn();
        this.flushEvents();
        return out;
      }) as T;
    } catch (err) {
      throw storeError(err);
    } finally {
      this.events.length = 0;
      this.seq = -1;
    }
  }

  /** Runs `fn` in a savepoint of the open transaction: if it throws, its writes and its events are undone. */
  savepoint<T>(fn: () => T): T {
    const mark = this.events.length;
    const seq = this.seq;
    try {
      return this.txFn(fn) as T;
    } catch (err) {
      this.events.length = mark;
      this.seq = seq;
      throw err;
    }
  }

  /** The seq the next event of this transaction will get. */
  peekSeq(): number {
    if (this.seq < 0) this.seq = (this.q('SELECT COALESCE(MAX(seq), 0) AS s FROM events').get() as { s: number }).s;
    return this.seq + 1;
  }

  /**
   * Appends one event; call only inside a transaction that makes the change it records. An event of an
   * existing task joins the task's chain (one read and one write of the task row): the hot paths use
   * taskEvent() instead, which leaves the write of `last_seq` to the caller's own UPDATE.
   */
  event(now: number, type: string, subject: string, data: object): number {
    const seq = this.peekSeq();
    this.seq = seq;
    let prev: number | null = null;
    const id = taskIdOf(subject);
    if (id !== null) {
      const r = this.q('SELECT last_seq FROM tasks WHERE id = ?').get(id) as { last_seq: number | null } | undefined;
      if (r) {
        prev = r.last_seq ?? 0;
        this.q('UPDATE tasks SET last_seq = ? WHERE id = ?').run(seq, id);
      }
    }
    this.events.push(seq, now, type, subject, JSON.stringify(data), prev);
    return seq;
  }

  /**
   * Appends an event of task `id` whose chain the caller keeps: `prev` is the task's `last_seq` before it
   * (null: none), and the caller must set `last_seq` to the returned seq in the same transaction.
   * `json`: the data, already serialised as a JSON object.
   */
  taskEvent(now: number, type: string, id: number, json: string, prev: number | null): number {
    const seq = this.peekSeq();
    this.seq = seq;
    this.events.push(seq, now, type, `task:${id}`, json, prev ?? 0);
    return seq;
  }

  /** Takes back the event just appended (seq `seq`), whose change was not made after all. */
  dropEvent(seq: number): void {
    if (this.seq !== seq || this.events[this.events.length - EV] !== seq) throw new Error(`dropEvent: ${seq} is not the last event`);
    this.events.length -= EV;
    this.seq = seq - 1;
  }

  private flushEvents(): void {
    const ev = this.events;
    const n = ev.length / EV;
    for (let i = 0; i < n; i += EVENT_CHUNK) {
      const k = Math.min(EVENT_CHUNK, n - i);
      const st = this.q(`INSERT INTO events (seq, time, type, subject, data, prev) VALUES ${Array(k).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`);
      st.run(k === n ? ev : ev.slice(i * EV, (i + k) * EV));
    }
    ev.length = 0;
  }

  close(): void {
    this.stmts.clear();
    if (this.raw.open) this.raw.close();
  }
}

/** SQLite result codes that mean the store itself cannot be written (not a bug in the statement). */
const UNAVAILABLE = /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|CANTOPEN|CORRUPT|NOTADB|PROTOCOL)/;

/** Maps a driver error that means "the store is unusable" to STORE_UNAVAILABLE; other errors pass unchanged. */
export function storeError(err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  if (err instanceof Database.SqliteError && typeof code === 'string' && UNAVAILABLE.test(code)) {
    return new HiveError('STORE_UNAVAILABLE', `the store could not be written (${code}): ${err.message}; nothing was changed`, { cause: err, details: { sqlite: code } });
  }
  return err;
}
