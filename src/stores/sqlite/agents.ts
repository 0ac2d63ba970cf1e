import { assertAgentTransition } from '../../core/agent-state.js';
import { HiveError } from '../../core/errors.js';
import { capsKey } from '../../core/routing.js';
import type { AgentSpec } from '../../core/store.js';
import type { Agent, AgentStatus } from '../../core/types.js';
import type { Db } from './db.js';
import { toAgent, type AgentRow } from './rows.js';

/** Agent rows on SQLite. Every method runs inside a transaction opened by SqliteStore. */
export class AgentWrites {
  constructor(private readonly db: Db) {}

  private runningCounts(): Map<number, number> {
    const rows = this.db.q(`SELECT agent_id, COUNT(*) AS n FROM tasks WHERE status = 'running' GROUP BY agent_id`).all() as { agent_id: number; n: number }[];
    return new Map(rows.map((r) => [r.agent_id, r.n]));
  }

  row(nameOrId: string | number): AgentRow {
    const r = (typeof nameOrId === 'number' || /^\d+$/.test(nameOrId)
      ? this.db.q('SELECT * FROM agents WHERE id = ? OR name = ?').get(Number(nameOrId), String(nameOrId))
      : this.db.q('SELECT * FROM agents WHERE name = ?').get(nameOrId)) as AgentRow | undefined;
    if (!r) throw new HiveError('AGENT_NOT_FOUND', `no agent named ${JSON.stringify(String(nameOrId))}`, { details: { agent: nameOrId } });
    return r;
  }

  get(nameOrId: string | number): Agent {
    const r = this.row(nameOrId);
    const n = (this.db.q(`SELECT COUNT(*) AS n FROM tasks WHERE status = 'running' AND agent_id = ?`).get(r.id) as { n: number }).n;
    return toAgent(r, n);
  }

  list(): Agent[] {
    const running = this.runningCounts();
    return (this.db.q('SELECT * FROM agents ORDER BY name').all() as AgentRow[]).map((r) => toAgent(r, running.get(r.id) ?? 0));
  }

  register(spec: AgentSpec, now: number): Agent {
    const existing = this.db.q('SELECT id FROM agents WHERE name = ?').get(spec.name) as { id: number } | undefined;
    const values = [spec.role, capsKey(spec.capabilities), JSON.stringify(spec.runtime), spec.slots, JSON.stringify(spec.env), spec.workdir, JSON.stringify(spec.limits)];
    if (existing) {
      this.db.q('UPDATE agents SET role = ?, caps = ?, runtime = ?, slots = ?, env = ?, workdir = ?, limits = ?, updated_at = ? WHERE id = ?').run(...values, now, existing.id);
    } else {
      this.db.q(`INSERT INTO agents (name, role, caps, runtime, slots, env, workdir, limits, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'inactive', ?, ?)`).run(spec.name, ...values, now, now);
    }
    this.db.event(now, 'agent.registered', `agent:${spec.name}`, { capabilities: spec.capabilities, runtime: spec.runtime.kind, slots: spec.slots });
    return this.get(spec.name);
  }

  /** Deletes the agent row; the caller has dealt with its running attempts. */
  remove(r: AgentRow, now: number): void {
    this.db.q('DELETE FROM agents WHERE id = ?').run(r.id);
    this.db.event(now, 'agent.removed', `agent:${r.name}`, {});
  }

  runningOf(agentId: number): { id: number; attempts: number }[] {
    return this.db.q(`SELECT id, attempts FROM tasks WHERE status = 'running' AND agent_id = ?`).all(agentId) as { id: number; attempts: number }[];
  }

  setStatus(name: string, to: AgentStatus, now: number, reason?: string): void {
    const r = this.row(name);
    const from = r.status;
    if (from === to) return;
    assertAgentTransition(name, from, to);
    this.db.q('UPDATE agents SET status = ?, heartbeat_at = ?, updated_at = ? WHERE id = ?').run(to, now, now, r.id);
    this.db.event(now, 'agent.status', `agent:${name}`, reason ? { from, to, reason } : { from, to });
  }
}
