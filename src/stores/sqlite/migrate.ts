import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HiveError } from '../../core/errors.js';
import type { Db } from './db.js';

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Numbered migrations `NNNN_name.sql`, applied in order; PRAGMA user_version holds the last applied number. */
export function listMigrations(): { version: number; name: string; sql: string }[] {
  return readdirSync(DIR)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f, sql: readFileSync(DIR + f, 'utf8') }));
}

export function migrate(db: Db): number {
  const all = listMigrations();
  const latest = all.at(-1)?.version ?? 0;
  const current = db.raw.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new HiveError('STORE_UNAVAILABLE', `the store is at schema version ${current}, newer than this Hive knows (${latest}); upgrade Hive`);
  }
  for (const m of all) {
    if (m.version <= current) continue;
    db.tx(() => {
      // Re-check inside the write lock: another process may have migrated meanwhile.
      if ((db.raw.pragma('user_version', { simple: true }) as number) >= m.version) return;
      db.raw.exec(m.sql);
      db.raw.pragma(`user_version = ${m.version}`);
    });
  }
  return latest;
}

export function schemaVersion(db: Db): number {
  return db.raw.pragma('user_version', { simple: true }) as number;
}
