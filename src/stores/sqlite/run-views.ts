import { HiveError } from '../../core/errors.js';
import { STEP_STATUSES, type RunFilter, type RunStatus, type RunStep, type StepStatus, type WorkflowRun } from '../../core/workflow.js';
import type { Db } from './db.js';
import { parseJson } from './rows.js';
import type { WorkflowDefs } from './workflows.js';

interface RunRow {
  id: number;
  workflow: string;
  version: number;
  status: RunStatus;
  inputs: string;
  error: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

interface StepRow {
  name: string;
  status: StepStatus;
  items: number | null;
  output: string | null;
  result: string | null;
  reason: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  started_at: number | null;
  finished_at: number | null;
}

const RUN_COLUMNS = 'id, workflow, version, status, inputs, error, created_at, updated_at, finished_at';

/** Reads of workflow runs: one run with its steps, or a page of runs with their progress counts. */
export class RunViews {
  constructor(
    private readonly db: Db,
    private readonly defs: WorkflowDefs,
  ) {}

  private summary(r: RunRow): WorkflowRun {
    const progress = Object.fromEntries(STEP_STATUSES.map((s) => [s, 0])) as Record<StepStatus, number>;
    for (const c of this.db.q('SELECT status, COUNT(*) AS n FROM run_steps WHERE run_id = ? GROUP BY status').all(r.id) as { status: StepStatus; n: number }[]) progress[c.status] = c.n;
    const u = this.db.q('SELECT COALESCE(SUM(input_tokens), 0) AS i, COALESCE(SUM(output_tokens), 0) AS o, COALESCE(SUM(cost_usd), 0) AS c FROM run_steps WHERE run_id = ?').get(r.id) as { i: number; o: number; c: number };
    return {
      id: r.id,
      workflow: r.workflow,
      version: r.version,
      status: r.status,
      inputs: JSON.parse(r.inputs),
      error: r.error,
      usage: { inputTokens: u.i, outputTokens: u.o, costUsd: u.c },
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      finishedAt: r.finished_at,
      progress,
    };
  }

  get(id: number): WorkflowRun {
    const r = this.db.q(`SELECT ${RUN_COLUMNS} FROM workflow_runs WHERE id = ?`).get(id) as RunRow | undefined;
    if (!r) throw new HiveError('WORKFLOW_RUN_NOT_FOUND', `no workflow run with id ${id}`, { details: { runId: id } });
    const run = this.summary(r);
    const wf = this.defs.compiledOf(r.workflow, r.version);
    const tasks = new Map<string, { ids: number[]; agents: string[] }>();
    for (const t of this.db.q('SELECT id, step, agent FROM tasks WHERE run_id = ? ORDER BY step, item').all(id) as { id: number; step: string; agent: string | null }[]) {
      let e = tasks.get(t.step);
      if (!e) tasks.set(t.step, (e = { ids: [], agents: [] }));
      e.ids.push(t.id);
      if (t.agent && !e.agents.includes(t.agent)) e.agents.push(t.agent);
    }
    const rows = this.db.q('SELECT name, status, items, output, result, reason, input_tokens, output_tokens, cost_usd, started_at, finished_at FROM run_steps WHERE run_id = ? ORDER BY idx').all(id) as StepRow[];
    run.steps = rows.map(
      (s): RunStep => ({
        name: s.name,
        status: s.status,
        needs: wf.byName.get(s.name)?.spec.needs ?? [],
        taskIds: tasks.get(s.name)?.ids ?? [],
        agents: tasks.get(s.name)?.agents ?? [],
        output: s.output,
        result: parseJson(s.result),
        reason: s.reason,
        items: s.items,
        usage: { inputTokens: s.input_tokens, outputTokens: s.output_tokens, costUsd: s.cost_usd },
        startedAt: s.started_at,
        finishedAt: s.finished_at,
      }),
    );
    return run;
  }

  list(f: RunFilter): WorkflowRun[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (f.status?.length) {
      where.push(`status IN (${f.status.map(() => '?').join(', ')})`);
      args.push(...f.status);
    }
    if (f.workflow) {
      where.push('workflow = ?');
      args.push(f.workflow);
    }
    if (f.beforeId !== undefined) {
      where.push('id < ?');
      args.push(f.beforeId);
    }
    const sql = `SELECT ${RUN_COLUMNS} FROM workflow_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.q(sql).all(...args, f.limit ?? 100) as RunRow[]).map((r) => this.summary(r));
  }
}
