import Database from 'better-sqlite3';
import { ensureDir } from '../../fs/dirs.js';
import { dirname } from 'node:path';
import { HiveError } from '../../core/errors.js';

type Statement = Database.Statement;

/**
 * One SQLite connection: WAL, synchronous FULL (or NORMAL), a busy timeout so the CLI and `hive up` can
 * share the file, a cache of prepared statements keyed by their SQL, and IMMEDIATE write transactions.
 */
export class Db {
  readonly raw: Database.Database;
  private readonly stmts = new Map<string, Statement>();

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

  /** Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front, so no upgrade deadlocks). */
  tx<T>(fn: () => T): T {
    try {
      return this.raw.transaction(fn).immediate();
    } catch (err) {
      throw storeError(err);
    }
  }

  /** Appends one event row; call only inside a transaction that makes the change it records. */
  event(now: number, type: string, subject: string, data: object): void {
    this.q('INSERT INTO events (time, type, subject, data) VALUES (?, ?, ?, ?)').run(now, type, subject, JSON.stringify(data));
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
