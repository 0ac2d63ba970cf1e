import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/stores/sqlite/store.js';
import { migrate } from '../src/stores/sqlite/migrate.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** A store with `n` queued tasks in four capability sets, three of which agent 1 (js, review) serves. */
function filledStore(n: number): { store: SqliteStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hive-claim-'));
  const store = new SqliteStore(join(dir, 'hive.db'));
  migrate(store.db);
  const keys = ['', 'js', 'js,review', 'python'];
  const ins = store.db.raw.prepare(`INSERT INTO tasks (title, priority, caps, status, max_attempts, backoff_ms, backoff_cap_ms, created_at, updated_at) VALUES (?, ?, ?, 'queued', 3, 1000, 60000, 0, 0)`);
  const fill = store.db.raw.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) ins.run(`t${i}`, i % 4, keys[i % 4]);
  });
  for (let i = 0; i < n; i += 50_000) fill(i, Math.min(n, i + 50_000));
  store.db.raw.exec(`INSERT INTO agents (name, caps, runtime, slots, status, created_at, updated_at) VALUES ('a', 'js,review', '{"kind":"inline","fn":"x"}', 50, 'active', 0, 0)`);
  // the bulk fill's WAL is folded into the database first, so the timed claims do not pay for its checkpoint
  store.db.raw.pragma('wal_checkpoint(TRUNCATE)');
  return { store, dir };
}

/**
 * Claim time (50 free slots on one agent) with N queued tasks, for each N. The queues are filled with plain
 * INSERTs (the enqueue path is measured elsewhere); tasks carry four capability sets, three of which the agent
 * serves (so 1,000 queued leave 750 claimable: 15 claims of 50, of which `reps` are timed). The stores are
 * claimed from in turn, so the fsync noise of a shared disk falls on all sizes alike.
 */
export async function claimScaling(sizes: number[], reps = 12): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const stores = sizes.map(filledStore);
  try {
    const times: number[][] = sizes.map(() => []);
    for (let r = 0; r < reps; r++) {
      for (let i = 0; i < stores.length; i++) {
        const t0 = performance.now();
        const claims = await stores[i].store.claim([{ agentId: 1, name: 'a', capabilities: new Set(['js', 'review']), free: 50, recentFailures: 0 }], Date.now(), 30_000);
        times[i].push(performance.now() - t0);
        if (claims.length !== 50) throw new Error(`claimed ${claims.length}, expected 50`);
      }
    }
    sizes.forEach((n, i) => (out[`queued_${n}_median_ms`] = Math.round(median(times[i]) * 1000) / 1000));
  } finally {
    for (const { store, dir } of stores) {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const [a, b] = sizes;
  out.ratio = Math.round((out[`queued_${b}_median_ms`] / out[`queued_${a}_median_ms`]) * 100) / 100;
  return out;
}
