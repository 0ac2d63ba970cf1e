import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../src/stores/sqlite/store.js';
import { migrate } from '../src/stores/sqlite/migrate.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Claim time (50 free slots on one agent) with N tasks queued, for each N. The queue is filled with plain
 * INSERTs (the enqueue path is measured elsewhere); tasks carry four different capability sets, three of which
 * the agent serves (so 1,000 queued leave 750 claimable: 15 claims of 50, of which `reps` are timed).
 */
export async function claimScaling(sizes: number[], reps = 10): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const n of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'hive-claim-'));
    const store = new SqliteStore(join(dir, 'hive.db'));
    try {
      migrate(store.db);
      const keys = ['', 'js', 'js,review', 'python'];
      const ins = store.db.raw.prepare(`INSERT INTO tasks (title, priority, caps, status, max_attempts, backoff_ms, backoff_cap_ms, created_at, updated_at) VALUES (?, ?, ?, 'queued', 3, 1000, 60000, 0, 0)`);
      const fill = store.db.raw.transaction((from: number, to: number) => {
        for (let i = from; i < to; i++) ins.run(`t${i}`, i % 4, keys[i % 4]);
      });
      for (let i = 0; i < n; i += 50_000) fill(i, Math.min(n, i + 50_000));
      store.db.raw.exec(`INSERT INTO agents (name, caps, runtime, slots, status, created_at, updated_at) VALUES ('a', 'js,review', '{"kind":"inline","fn":"x"}', 50, 'active', 0, 0)`);
      const times: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        const claims = await store.claim([{ agentId: 1, name: 'a', capabilities: new Set(['js', 'review']), free: 50, recentFailures: 0 }], Date.now(), 30_000);
        times.push(performance.now() - t0);
        if (claims.length !== 50) throw new Error(`claimed ${claims.length}, expected 50`);
      }
      out[`queued_${n}_median_ms`] = Math.round(median(times) * 1000) / 1000;
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const [a, b] = sizes;
  out.ratio = Math.round((out[`queued_${b}_median_ms`] / out[`queued_${a}_median_ms`]) * 100) / 100;
  return out;
}
