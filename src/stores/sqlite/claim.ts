import { capsFromKey, holdsAll, route, type Candidate, type SlotOffer } from '../../core/routing.js';
import type { Claim } from '../../core/store.js';
import { PRIORITIES, type Task } from '../../core/types.js';
import type { Db } from './db.js';
import { parseJson } from './rows.js';
import type { Started } from './tasks.js';

/** Extra candidates fetched per capability set beyond the free slots, for tasks skipped because an earlier candidate of the same round takes their lock (locks held by running tasks are filtered in SQL). */
const LOCK_SLACK = 4;
/** Pages per capability set per claim when locks keep skipping candidates. */
const MAX_ROUNDS = 8;

/**
 * The columns a claim reads of each candidate: what the claimed Task needs and the claim does not set itself
 * (status, agent, lease, start time, reason, process are set by the claim; deps_pending is 0 for a queued task).
 * They are read as one JSON array per row (json_array, then JSON.parse): the driver's cost is per value read
 * (~45 ns each, even for NULL), and one value plus a parse costs less than 28 values.
 */
const CANDIDATE_COLUMNS = 'id, priority, locks, title, prompt, type, caps, deps, attempts, max_attempts, backoff_ms, backoff_cap_ms, timeout_ms, schedule_timeout_ms, run_at, idem_key, error, result, output, input_tokens, output_tokens, cost_usd, metadata, created_at, finished_at, run_id, step, last_seq, dependents';
const CANDIDATE = `json_array(${CANDIDATE_COLUMNS})`;
const C = { id: 0, priority: 1, locks: 2, title: 3, prompt: 4, type: 5, caps: 6, deps: 7, attempts: 8, maxAttempts: 9, backoffMs: 10, backoffCapMs: 11, timeoutMs: 12, scheduleTimeoutMs: 13, runAt: 14, idemKey: 15, error: 16, result: 17, output: 18, inputTokens: 19, outputTokens: 20, costUsd: 21, metadata: 22, createdAt: 23, finishedAt: 24, runId: 25, step: 26, lastSeq: 27, dependents: 28 } as const;

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
export const SQL_CLAIM_PAGE = `SELECT ${CANDIDATE} FROM tasks WHERE status = 'queued' AND caps = ? AND ${NOT_BLOCKED} ORDER BY priority, id LIMIT ?`;
/** Next page (keyset): (caps key, last priority, last id, now, limit). */
export const SQL_CLAIM_NEXT_PAGE = `SELECT ${CANDIDATE} FROM tasks WHERE status = 'queued' AND caps = ? AND (priority, id) > (?, ?) AND ${NOT_BLOCKED} ORDER BY priority, id LIMIT ?`;
/**
 * Starts the attempts of one agent in one statement: (agent, agent id, lease until, now, now, seq of the first
 * `task.started` event, JSON array of task ids). The i-th task's event has seq (first + i): it becomes the
 * task's `last_seq`. Every id was read as queued in this same transaction, so each one changes (the caller
 * checks the count).
 */
export const SQL_START = `UPDATE tasks SET status = 'running', attempts = attempts + 1, agent = ?, agent_id = ?, lease_until = ?, started_at = ?, updated_at = ?,
              reason = NULL, deadline = NULL, pid = NULL, pid_start = NULL, log_path = NULL, last_seq = ? + j.key
            FROM json_each(?) AS j WHERE tasks.id = j.value AND tasks.status = 'queued'`;
/** Like SQL_START when the agent's events are not consecutive (several agents in one round): (…, JSON array of [task id, event seq]). */
export const SQL_START_PAIRS = `UPDATE tasks SET status = 'running', attempts = attempts + 1, agent = ?, agent_id = ?, lease_until = ?, started_at = ?, updated_at = ?,
              reason = NULL, deadline = NULL, pid = NULL, pid_start = NULL, log_path = NULL, last_seq = j.value ->> 1
            FROM json_each(?) AS j WHERE tasks.id = j.value ->> 0 AND tasks.status = 'queued'`;

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

const NO_STRINGS: readonly string[] = Object.freeze([]);

/** The claimed task: the candidate's columns plus what the claim set. */
function claimedTask(r: unknown[], caps: string[], attempt: number, agent: string, now: number, leaseUntil: number): Task {
  return {
    id: r[C.id] as number,
    title: r[C.title] as string,
    prompt: r[C.prompt] as string,
    type: r[C.type] as string,
    priority: PRIORITIES[r[C.priority] as number],
    capabilities: caps,
    dependsOn: r[C.deps] ? (JSON.parse(r[C.deps] as string) as number[]) : (NO_STRINGS as unknown as number[]),
    locks: r[C.locks] ? (JSON.parse(r[C.locks] as string) as string[]) : (NO_STRINGS as string[]),
    status: 'running',
    attempts: attempt,
    retry: { maxAttempts: r[C.maxAttempts] as number, backoffMs: r[C.backoffMs] as number, backoffCapMs: r[C.backoffCapMs] as number },
    timeoutMs: r[C.timeoutMs] as number,
    scheduleTimeoutMs: r[C.scheduleTimeoutMs] as number,
    idempotencyKey: r[C.idemKey] as string | null,
    agent,
    reason: null,
    error: r[C.error] as string | null,
    result: parseJson(r[C.result] as string | null),
    output: r[C.output] as string | null,
    usage: { inputTokens: r[C.inputTokens] as number, outputTokens: r[C.outputTokens] as number, costUsd: r[C.costUsd] as number },
    metadata: r[C.metadata] ? (JSON.parse(r[C.metadata] as string) as Record<string, unknown>) : {},
    createdAt: r[C.createdAt] as number,
    updatedAt: now,
    startedAt: now,
    finishedAt: r[C.finishedAt] as number | null,
    runAt: r[C.runAt] as number,
    leaseUntil,
    run: r[C.runId] as number | null,
    step: r[C.step] as string | null,
  };
}

/**
 * Claims ready tasks for the offered free slots, in one transaction (the caller's): reads at most
 * (free slots + slack) candidates per capability set from tasks_ready in (priority, id) order, routes them
 * (core/routing), and starts one attempt per assignment: status running, attempt+1 (the fencing token),
 * a lease, the task's locks, and a `task.started` event. The attempts of one agent start in one UPDATE.
 */
export function claim(db: Db, offers: SlotOffer[], now: number, leaseMs: number, started?: (taskId: number, s: Started) => void): Claim[] {
  // The store is the truth for agent status: an agent paused (or removed) by another process takes nothing,
  // even before the offering node has noticed.
  const active = new Set((db.q(`SELECT id FROM agents WHERE status NOT IN ('maintenance', 'shutting_down', 'stopped', 'error')`).all() as { id: number }[]).map((r) => r.id));
  const pool = offers.filter((o) => o.free > 0 && active.has(o.agentId)).map((o) => ({ ...o }));
  if (pool.length === 0) return [];
  const pages: Page[] = queuedKeys(db).map((key) => ({ key, caps: capsFromKey(key), after: null, full: true }));
  const held = new Set<string>();
  const claims: Claim[] = [];
  const offersById = new Map(pool.map((o) => [o.agentId, o]));
  const leaseUntil = now + leaseMs;

  for (let round = 0; round < MAX_ROUNDS; round++) {
    const candidates: (Candidate & { priority: number; row: unknown[] })[] = [];
    for (const page of pages) {
      if (!page.full) continue;
      let free = 0;
      for (const o of pool) if (holdsAll(o.capabilities, page.caps)) free += o.free;
      if (free === 0) {
        page.full = false;
        continue;
      }
      const limit = free + LOCK_SLACK;
      // Candidates are read with every column the claimed Task needs: no read-back after the UPDATE.
      const rows = ((page.after
        ? db.qv(SQL_CLAIM_NEXT_PAGE).all(page.key, page.after[0], page.after[1], now, limit)
        : db.qv(SQL_CLAIM_PAGE).all(page.key, now, limit)) as string[]).map((j) => JSON.parse(j) as unknown[]);
      page.full = rows.length === limit;
      const last = rows.at(-1);
      if (last) page.after = [last[C.priority] as number, last[C.id] as number];
      for (const r of rows) {
        // locks held by running tasks were filtered out in SQL; `held` tracks the ones taken in this claim
        const locks = r[C.locks] ? (JSON.parse(r[C.locks] as string) as string[]) : NO_STRINGS;
        candidates.push({ id: r[C.id] as number, priority: r[C.priority] as number, capabilities: page.caps, locks, row: r });
      }
    }
    if (candidates.length === 0) break;
    if (pages.length > 1) candidates.sort((a, b) => a.priority - b.priority || a.id - b.id);
    const assignments = route(candidates, pool, held);
    const byId = new Map(candidates.map((c) => [c.id, c]));
    // The i-th assignment's `task.started` event gets seq first + i. One UPDATE per agent for its assignments.
    const first = db.peekSeq();
    const perAgent = new Map<number, { ids: number[]; seqs: number[] }>();
    assignments.forEach((a, i) => {
      const g = perAgent.get(a.agentId);
      if (g) {
        g.ids.push(a.taskId);
        g.seqs.push(first + i);
      } else perAgent.set(a.agentId, { ids: [a.taskId], seqs: [first + i] });
    });
    for (const [agentId, { ids, seqs }] of perAgent) {
      const name = offersById.get(agentId)!.name;
      const consecutive = seqs[seqs.length - 1] - seqs[0] === seqs.length - 1;
      const changed = consecutive
        ? db.q(SQL_START).run(name, agentId, leaseUntil, now, now, seqs[0], JSON.stringify(ids)).changes
        : db.q(SQL_START_PAIRS).run(name, agentId, leaseUntil, now, now, JSON.stringify(ids.map((id, i) => [id, seqs[i]]))).changes;
      if (changed !== ids.length) throw new Error(`claim: ${ids.length} tasks read as queued in this transaction but ${changed} started`);
    }
    assignments.forEach((a, i) => {
      const offer = offersById.get(a.agentId)!;
      const c = byId.get(a.taskId)!;
      const attempt = (c.row[C.attempts] as number) + 1;
      offer.free--;
      for (const l of c.locks) {
        db.q('INSERT OR REPLACE INTO locks (name, task_id, attempt, until) VALUES (?, ?, ?, NULL)').run(l, c.id, attempt);
        held.add(l);
      }
      const seq = db.taskEvent(now, 'task.started', c.id, `{"attempt":${attempt},"agent":${JSON.stringify(offer.name)}}`, c.row[C.lastSeq] as number | null);
      if (seq !== first + i) throw new Error(`claim: event seq ${seq}, expected ${first + i}`);
      started?.(c.id, {
        attempt, agent: offer.name, agentId: a.agentId, startedAt: now, locks: c.row[C.locks] as string | null, runId: c.row[C.runId] as number | null,
        step: c.row[C.step] as string | null, lastSeq: seq, dependents: c.row[C.dependents] as number,
      });
      claims.push({ task: claimedTask(c.row, c.capabilities.slice(), attempt, offer.name, now, leaseUntil), attempt, agentId: a.agentId, agentName: offer.name });
    });
    // Another page is needed only when slots remain and some capability set had more candidates than it read.
    if (!pool.some((o) => o.free > 0) || !pages.some((p) => p.full)) break;
  }
  return claims;
}
