import { capsFromKey, holdsAll, route, type Candidate, type SlotOffer } from '../../core/routing.js';
import type { Claim } from '../../core/store.js';
import type { Db } from './db.js';
import { TASK_COLUMNS, taskRowFromArray, toTask, type TaskRow } from './rows.js';

/** Extra candidates fetched per capability set beyond the free slots, for tasks skipped because an earlier candidate of the same round takes their lock (locks held by running tasks are filtered in SQL). */
const LOCK_SLACK = 4;
/** Pages per capability set per claim when locks keep skipping candidates. */
const MAX_ROUNDS = 8;

// Hot-path statements, exported for the query-plan test (test/stores/sqlite-specific.test.ts).
// INDEXED BY pins each to its partial index: without statistics the planner may pick a broader index,
// which reads every queued task (and sorts them) once per capability set.
/** Distinct capability-set keys among queued tasks. */
export const SQL_QUEUED_KEYS = `WITH RECURSIVE k(caps) AS (
          SELECT (SELECT caps FROM tasks INDEXED BY tasks_ready WHERE status = 'queued' ORDER BY caps LIMIT 1)
          UNION ALL
          SELECT (SELECT caps FROM tasks INDEXED BY tasks_ready WHERE status = 'queued' AND caps > k.caps ORDER BY caps LIMIT 1) FROM k WHERE k.caps IS NOT NULL
        ) SELECT caps FROM k WHERE caps IS NOT NULL`;
/** Skips tasks one of whose locks a running task holds, so they never use up a page (a free task behind many blocked ones would starve). */
const NOT_BLOCKED = `(tasks.locks IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(tasks.locks) AS j JOIN locks AS held ON held.name = j.value AND (held.until IS NULL OR held.until > ?)))`;
/** First page of claim candidates for one capability set: (caps key, now, limit). */
export const SQL_CLAIM_PAGE = `SELECT ${TASK_COLUMNS} FROM tasks WHERE status = 'queued' AND caps = ? AND ${NOT_BLOCKED} ORDER BY priority, id LIMIT ?`;
/** Next page (keyset): (caps key, last priority, last id, now, limit). */
export const SQL_CLAIM_NEXT_PAGE = `SELECT ${TASK_COLUMNS} FROM tasks WHERE status = 'queued' AND caps = ? AND (priority, id) > (?, ?) AND ${NOT_BLOCKED} ORDER BY priority, id LIMIT ?`;

/** Distinct capability-set keys among queued tasks: one index seek per key (a skip scan over tasks_ready). */
export function queuedKeys(db: Db): string[] {
  const rows = db.q(SQL_QUEUED_KEYS).all() as { caps: string }[];
  return rows.map((r) => r.caps);
}

interface Page {
  key: string;
  caps: string[];
  after: [number, number] | null;
  full: boolean;
}

/**
 * Claims ready tasks for the offered free slots, in one transaction (the caller's): reads at most
 * (free slots + slack) candidates per capability set from tasks_ready in (priority, id) order, routes them
 * (core/routing), and starts one attempt per assignment: status running, attempt+1 (the fencing token),
 * a lease, the task's locks, and a `task.started` event.
 */
export function claim(db: Db, offers: SlotOffer[], now: number, leaseMs: number): Claim[] {
  // The store is the truth for agent status: an agent paused (or removed) by another process takes nothing,
  // even before the offering node has noticed.
  const active = new Set((db.q(`SELECT id FROM agents WHERE status NOT IN ('maintenance', 'shutting_down', 'stopped', 'error')`).all() as { id: number }[]).map((r) => r.id));
  const pool = offers.filter((o) => o.free > 0 && active.has(o.agentId)).map((o) => ({ ...o }));
  if (pool.length === 0) return [];
  const pages: Page[] = queuedKeys(db).map((key) => ({ key, caps: capsFromKey(key), after: null, full: true }));
  const held = new Set<string>();
  const claims: Claim[] = [];
  const offersById = new Map(pool.map((o) => [o.agentId, o]));
  const rowsById = new Map<number, TaskRow>();

  for (let round = 0; round < MAX_ROUNDS; round++) {
    const candidates: (Candidate & { priority: number })[] = [];
    for (const page of pages) {
      if (!page.full) continue;
      const free = pool.reduce((n, o) => (holdsAll(o.capabilities, page.caps) ? n + o.free : n), 0);
      if (free === 0) {
        page.full = false;
        continue;
      }
      const limit = free + LOCK_SLACK;
      // Candidates are read whole (raw rows): an assigned one then needs only a plain UPDATE, no read-back.
      const rows = ((page.after
        ? db.qa(SQL_CLAIM_NEXT_PAGE).all(page.key, page.after[0], page.after[1], now, limit)
        : db.qa(SQL_CLAIM_PAGE).all(page.key, now, limit)) as unknown[][]).map(taskRowFromArray);
      page.full = rows.length === limit;
      const last = rows.at(-1);
      if (last) page.after = [last.priority, last.id];
      for (const r of rows) {
        // locks held by running tasks were filtered out in SQL; `held` tracks the ones taken in this claim
        const locks = r.locks ? (JSON.parse(r.locks) as string[]) : [];
        rowsById.set(r.id, r);
        candidates.push({ id: r.id, priority: r.priority, capabilities: page.caps, locks });
      }
    }
    if (candidates.length === 0) break;
    candidates.sort((a, b) => a.priority - b.priority || a.id - b.id);
    const assignments = route(candidates, pool, held);
    const locksOf = new Map(candidates.map((c) => [c.id, c.locks]));
    for (const a of assignments) {
      const offer = offersById.get(a.agentId)!;
      const name = offer.name;
      const changed = db
        .q(`UPDATE tasks SET status = 'running', attempts = attempts + 1, agent = ?, agent_id = ?, lease_until = ?, started_at = ?, updated_at = ?,
              reason = NULL, deadline = NULL, pid = NULL, pid_start = NULL, log_path = NULL
            WHERE id = ? AND status = 'queued'`)
        .run(name, a.agentId, now + leaseMs, now, now, a.taskId).changes;
      if (changed !== 1) continue;
      const row = rowsById.get(a.taskId)!;
      Object.assign(row, { status: 'running', attempts: row.attempts + 1, agent: name, agent_id: a.agentId, lease_until: now + leaseMs, started_at: now, updated_at: now, reason: null, deadline: null, pid: null, pid_start: null, log_path: null });
      offer.free--;
      for (const l of locksOf.get(a.taskId) ?? []) {
        db.q('INSERT OR REPLACE INTO locks (name, task_id, attempt, until) VALUES (?, ?, ?, NULL)').run(l, row.id, row.attempts);
        held.add(l);
      }
      db.event(now, 'task.started', `task:${row.id}`, { attempt: row.attempts, agent: name });
      claims.push({ task: toTask(row), attempt: row.attempts, agentId: a.agentId, agentName: name });
    }
    // Another page is needed only when slots remain and some capability set had more candidates than it read.
    if (!pool.some((o) => o.free > 0) || !pages.some((p) => p.full)) break;
  }
  return claims;
}
