import { HiveError } from '../../core/errors.js';
import { formatDuration } from '../../core/duration.js';
import type { TaskDefaults } from '../../core/options.js';
import { resolveRunInputs } from '../../core/workflow-def.js';
import { decideStart, needOutcome, needsVerdict, stepOutcome, stepTask, type CompiledStep, type CompiledWorkflow, type StepScope } from '../../core/workflow-plan.js';
import type { RunStatus, StepStatus } from '../../core/workflow.js';
import type { Usage } from '../../core/types.js';
import type { Db } from './db.js';
import type { TaskWrites } from './tasks.js';
import type { WorkflowDefs } from './workflows.js';

/** A run as the advancing code needs it, loaded once per transaction step. */
interface RunCtx {
  id: number;
  status: RunStatus;
  wf: CompiledWorkflow;
  workflow: string;
  version: number;
  inputs: Record<string, unknown>;
  defaults: TaskDefaults;
}

/** A step that has just reached a final status, with what it produced. */
interface StepEnd {
  name: string;
  status: StepStatus;
  reason: string | null;
  output?: string | null;
  /** JSON text. */
  result?: string | null;
  usage?: Usage;
}

export interface RunningTask {
  taskId: number;
  attempt: number;
}

const subject = (id: number): string => `run:${id}`;

/**
 * Workflow runs on SQLite. A run advances inside the transaction that ends one of its tasks (TaskWrites calls
 * `taskEnded`): the step's counters drop, and when a step ends, each dependent's `waiting` counter drops; a
 * dependent at zero is cancelled, skipped, held (run paused) or started — its `if`/`for_each` evaluated and
 * its prompt rendered from the upstream outputs. Work per task end is proportional to the steps it touches.
 */
export class RunWrites {
  /** While true (cancelling a run), task ends do not advance anything: the canceller settles the steps. */
  private quiet = false;
  /** Runs a function in a savepoint of the current transaction (Db's: a rollback also drops the savepoint's buffered events). */
  private readonly savepoint: (f: () => void) => void;

  constructor(
    private readonly db: Db,
    private readonly tasks: TaskWrites,
    private readonly defs: WorkflowDefs,
  ) {
    this.savepoint = (f) => this.db.savepoint(f);
  }

  private load(id: number): RunCtx {
    const r = this.db.q('SELECT id, workflow, version, status, inputs, defaults FROM workflow_runs WHERE id = ?').get(id) as
      | { id: number; workflow: string; version: number; status: RunStatus; inputs: string; defaults: string }
      | undefined;
    if (!r) throw new HiveError('WORKFLOW_RUN_NOT_FOUND', `no workflow run with id ${id}`, { details: { runId: id } });
    return { id, status: r.status, workflow: r.workflow, version: r.version, wf: this.defs.compiledOf(r.workflow, r.version), inputs: JSON.parse(r.inputs), defaults: JSON.parse(r.defaults) };
  }

  private setRunStatus(run: RunCtx, to: RunStatus, now: number): void {
    this.db.q('UPDATE workflow_runs SET status = ?, updated_at = ? WHERE id = ?').run(to, now, run.id);
    run.status = to;
  }

  // ---------------------------------------------------------------- create

  create(name: string, version: number | undefined, given: unknown, defaults: TaskDefaults, now: number): number {
    const def = this.defs.get(name, version);
    const inputs = resolveRunInputs(def.inputs, given);
    const wf = this.defs.compiledOf(def.name, def.version);
    const id = (this.db
      .q(`INSERT INTO workflow_runs (workflow, version, status, inputs, defaults, open_steps, created_at, updated_at) VALUES (?, ?, 'running', ?, ?, ?, ?, ?) RETURNING id`)
      .get(def.name, def.version, JSON.stringify(inputs), JSON.stringify(defaults), wf.steps.length, now, now) as { id: number }).id;
    const ins = this.db.q(`INSERT INTO run_steps (run_id, name, idx, status, waiting) VALUES (?, ?, ?, 'pending', ?)`);
    for (const s of wf.steps) ins.run(id, s.name, s.index, s.spec.needs.length);
    this.db.event(now, 'run.created', subject(id), { workflow: def.name, version: def.version, steps: wf.steps.length });
    const run: RunCtx = { id, status: 'running', wf, workflow: def.name, version: def.version, inputs, defaults };
    this.advance(run, wf.steps.filter((s) => s.spec.needs.length === 0).map((s) => s.name), [], now);
    return id;
  }

  // ---------------------------------------------------------------- advancing

  /**
   * Starts the steps in `toStart` (their needs are all final) and settles the ends in `ended`, then every
   * dependent those ends release, until nothing more moves; then ends the run if no step is open.
   */
  private advance(run: RunCtx, toStart: string[], ended: StepEnd[], now: number): void {
    const queue = [...ended];
    for (const name of toStart) {
      const end = this.start(run, run.wf.byName.get(name)!, now);
      if (end) queue.push(end);
    }
    while (queue.length) {
      const end = queue.shift()!;
      this.settle(run, end, now);
      const step = run.wf.byName.get(end.name)!;
      const outcome = needOutcome(end.status, step.spec.continueOnFailure);
      const release = this.db.q(`UPDATE run_steps SET waiting = waiting - 1, live = live + ?, blocked = COALESCE(blocked, ?) WHERE run_id = ? AND name = ? AND status = 'pending' RETURNING waiting, live, blocked`);
      const blocked = outcome === 'blocks' ? `DEPENDENCY_FAILED: step ${end.name} ${end.status}` : null;
      for (const d of step.dependents) {
        const r = release.get(outcome === 'live' ? 1 : 0, blocked, run.id, d) as { waiting: number; live: number; blocked: string | null } | undefined;
        if (!r || r.waiting > 0) continue;
        const dep = run.wf.byName.get(d)!;
        const verdict = needsVerdict(dep.spec.needs.length, r.live, r.blocked);
        if (verdict === 'cancel') queue.push({ name: d, status: 'cancelled', reason: r.blocked });
        else if (verdict === 'skip') queue.push({ name: d, status: 'skipped', reason: 'every step it needs was skipped' });
        else {
          const next = this.start(run, dep, now);
          if (next) queue.push(next);
        }
      }
    }
    this.finishIfDone(run, now);
  }

  /** Records a step's end and counts it on the run. */
  private settle(run: RunCtx, e: StepEnd, now: number): void {
    const u = e.usage;
    this.db
      .q(`UPDATE run_steps SET status = ?, reason = ?, output = ?, result = ?, finished_at = ?,
            input_tokens = COALESCE(?, input_tokens), output_tokens = COALESCE(?, output_tokens), cost_usd = COALESCE(?, cost_usd) WHERE run_id = ? AND name = ?`)
      .run(e.status, e.reason, e.output ?? null, e.result ?? null, now, u?.inputTokens ?? null, u?.outputTokens ?? null, u?.costUsd ?? null, run.id, e.name);
    const step = run.wf.byName.get(e.name)!;
    const fails = e.status === 'cancelled' || (e.status === 'failed' && !step.spec.continueOnFailure);
    this.db
      .q('UPDATE workflow_runs SET open_steps = open_steps - 1, failed_steps = failed_steps + ?, error = CASE WHEN ? THEN COALESCE(error, ?) ELSE error END, updated_at = ? WHERE id = ?')
      .run(fails ? 1 : 0, fails ? 1 : 0, `step ${e.name} ${e.status}${e.reason ? `: ${e.reason}` : ''}`, now, run.id);
    this.db.event(now, 'run.step', subject(run.id), e.reason ? { step: e.name, status: e.status, reason: e.reason } : { step: e.name, status: e.status });
  }

  private finishIfDone(run: RunCtx, now: number): void {
    const r = this.db.q('SELECT open_steps, failed_steps, error, created_at FROM workflow_runs WHERE id = ?').get(run.id) as { open_steps: number; failed_steps: number; error: string | null; created_at: number };
    if (r.open_steps > 0 || (run.status !== 'running' && run.status !== 'paused')) return;
    const to: RunStatus = r.failed_steps > 0 ? 'failed' : 'completed';
    this.db.q('UPDATE workflow_runs SET status = ?, finished_at = ?, updated_at = ? WHERE id = ?').run(to, now, now, run.id);
    run.status = to;
    this.db.event(now, to === 'failed' ? 'run.failed' : 'run.completed', subject(run.id), to === 'failed' ? { error: r.error, durationMs: now - r.created_at } : { durationMs: now - r.created_at });
  }

  /** What upstream steps this step's expressions read. */
  private scope(run: RunCtx, step: CompiledStep): StepScope {
    const steps: StepScope['steps'] = {};
    const q = this.db.q('SELECT status, output, result FROM run_steps WHERE run_id = ? AND name = ?');
    for (const name of step.reads) {
      const r = q.get(run.id, name) as { status: StepStatus; output: string | null; result: string | null };
      steps[name] = { status: r.status, output: r.output, result: r.result === null ? null : JSON.parse(r.result) };
    }
    return { inputs: run.inputs, steps, run: { id: run.id, workflow: run.workflow, version: run.version } };
  }

  /** Starts a step whose needs allow it; returns its end when it ends at once (skipped, failed, no items). */
  private start(run: RunCtx, step: CompiledStep, now: number): StepEnd | null {
    if (run.status === 'paused') {
      this.db.q(`UPDATE run_steps SET status = 'ready' WHERE run_id = ? AND name = ?`).run(run.id, step.name);
      this.db.event(now, 'run.step', subject(run.id), { step: step.name, status: 'ready', reason: 'run paused' });
      return null;
    }
    const prior = this.db.q('SELECT items FROM run_steps WHERE run_id = ? AND name = ?').get(run.id, step.name) as { items: number | null };
    if (prior.items !== null) return this.restart(run, step, now);
    const d = decideStart(run.wf, step, this.scope(run, step));
    if (d.kind === 'skip') return { name: step.name, status: 'skipped', reason: d.reason };
    if (d.kind === 'fail') return { name: step.name, status: 'failed', reason: d.reason };
    if (d.tasks.length === 0) return { name: step.name, status: 'completed', reason: null, output: '', result: '[]' };
    const made = this.tasks.enqueue(d.tasks.map((t) => stepTask(step, run.defaults, t, run.id)), now);
    this.db.q(`UPDATE run_steps SET status = 'running', items = ?, items_open = ?, started_at = ? WHERE run_id = ? AND name = ?`).run(made.length, made.length, now, run.id, step.name);
    this.db.event(now, 'run.step', subject(run.id), { step: step.name, status: 'running', tasks: made.map((m) => m.task.id) });
    return null;
  }

  /** A retried step that had tasks: its dead and cancelled tasks go back to the queue; completed ones stay. */
  private restart(run: RunCtx, step: CompiledStep, now: number): StepEnd | null {
    const rows = this.db.q(`SELECT id FROM tasks WHERE run_id = ? AND step = ? AND status IN ('dead', 'cancelled') ORDER BY item`).all(run.id, step.name) as { id: number }[];
    if (rows.length === 0) return this.ended(run, step.name);
    for (const r of rows) this.tasks.retry(r.id, now, true);
    this.db.q(`UPDATE run_steps SET status = 'running', items_open = ?, started_at = ? WHERE run_id = ? AND name = ?`).run(rows.length, now, run.id, step.name);
    this.db.event(now, 'run.step', subject(run.id), { step: step.name, status: 'running', tasks: rows.map((r) => r.id) });
    return null;
  }

  /** The end of a step all of whose tasks are final: its status, output, result and usage from them. */
  private ended(run: RunCtx, name: string): StepEnd {
    const rows = this.db
      .q('SELECT id, status, error, output, result, input_tokens, output_tokens, cost_usd FROM tasks WHERE run_id = ? AND step = ? ORDER BY item')
      .all(run.id, name) as { id: number; status: string; error: string | null; output: string | null; result: string | null; input_tokens: number; output_tokens: number; cost_usd: number }[];
    const status = stepOutcome(rows.map((r) => r.status));
    const bad = rows.find((r) => r.status === (status === 'failed' ? 'dead' : 'cancelled'));
    const fanOut = run.wf.byName.get(name)!.forEach !== null;
    const usage = rows.reduce((u, r) => ({ inputTokens: u.inputTokens + r.input_tokens, outputTokens: u.outputTokens + r.output_tokens, costUsd: u.costUsd + r.cost_usd }), { inputTokens: 0, outputTokens: 0, costUsd: 0 });
    return {
      name,
      status,
      reason: bad ? `task ${bad.id} ${bad.status}${bad.error ? `: ${bad.error}` : ''}` : null,
      output: fanOut ? rows.map((r) => r.output ?? '').join('\n\n') : (rows[0]?.output ?? null),
      result: fanOut ? `[${rows.map((r) => r.result ?? 'null').join(',')}]` : (rows[0]?.result ?? null),
      usage,
    };
  }

  // ---------------------------------------------------------------- hooks from TaskWrites

  /** A task of a run reached a final status (completed, dead or cancelled). */
  taskEnded(runId: number, step: string, now: number): void {
    if (this.quiet) return;
    const r = this.db.q(`UPDATE run_steps SET items_open = items_open - 1 WHERE run_id = ? AND name = ? AND status = 'running' RETURNING items_open`).get(runId, step) as { items_open: number } | undefined;
    if (!r || r.items_open > 0) return;
    try {
      // a savepoint: a bug while advancing must not undo (or wedge) the task's own end
      this.savepoint(() => {
        const run = this.load(runId);
        this.advance(run, [], [this.ended(run, step)], now);
      });
    } catch (err) {
      const error = `INTERNAL: advancing the run after step ${step} failed: ${(err as Error)?.message ?? err}`;
      this.db.q(`UPDATE workflow_runs SET status = 'failed', error = ?, finished_at = ?, updated_at = ? WHERE id = ? AND status IN ('running', 'paused')`).run(error, now, now, runId);
      this.db.event(now, 'run.failed', subject(runId), { error, durationMs: 0 });
    }
  }

  /** A task of a run failed and will be retried: while its run is paused, the retry waits too. */
  taskRetrying(taskId: number, runId: number, now: number): void {
    const r = this.db.q('SELECT status FROM workflow_runs WHERE id = ?').get(runId) as { status: RunStatus } | undefined;
    if (r?.status === 'paused') this.hold(`id = ?`, taskId, runId, now);
  }

  private hold(where: string, key: number, runId: number, now: number): number {
    const rows = this.db
      .q(`UPDATE tasks SET status = 'pending', deps_pending = deps_pending + 1, held = 1, deadline = NULL, reason = ?, updated_at = ?
            WHERE ${where} AND status IN ('queued', 'pending') AND held = 0 RETURNING id`)
      .all(`held: workflow run ${runId} is paused`, now, key) as { id: number }[];
    for (const t of rows) this.db.event(now, 'task.held', `task:${t.id}`, { run: runId });
    return rows.length;
  }

  // ---------------------------------------------------------------- user actions

  pause(id: number, now: number): void {
    const run = this.load(id);
    if (run.status !== 'running') throw new HiveError('INVALID_TRANSITION', `workflow run ${id} is ${run.status}; only a running run can be paused`, { details: { runId: id, status: run.status } });
    this.setRunStatus(run, 'paused', now);
    const held = this.hold('run_id = ?', id, id, now);
    this.db.event(now, 'run.paused', subject(id), { heldTasks: held });
  }

  resume(id: number, now: number): void {
    const run = this.load(id);
    if (run.status !== 'paused') throw new HiveError('INVALID_TRANSITION', `workflow run ${id} is ${run.status}; only a paused run can be resumed`, { details: { runId: id, status: run.status } });
    this.setRunStatus(run, 'running', now);
    const rows = this.db
      .q(`UPDATE tasks SET deps_pending = deps_pending - 1, held = 0, reason = NULL, updated_at = ? WHERE run_id = ? AND held = 1 RETURNING id, deps_pending, run_at, caps, schedule_timeout_ms`)
      .all(now, id) as { id: number; deps_pending: number; run_at: number; caps: string; schedule_timeout_ms: number }[];
    for (const t of rows) {
      if (t.deps_pending > 0) continue;
      if (t.run_at <= now) this.tasks.makeQueued(t.id, t.caps, t.schedule_timeout_ms, now, `workflow run ${id} resumed`);
      else this.db.q('UPDATE tasks SET reason = ? WHERE id = ?').run(`retry in ${formatDuration(t.run_at - now)}`, t.id);
    }
    this.db.event(now, 'run.resumed', subject(id), { releasedTasks: rows.length });
    const ready = this.db.q(`SELECT name FROM run_steps WHERE run_id = ? AND status = 'ready' ORDER BY idx`).all(id) as { name: string }[];
    this.advance(run, ready.map((r) => r.name), [], now);
  }

  /** Cancels every open task (returning the running ones, whose processes the engine kills) and every open step. */
  cancel(id: number, reason: string, now: number): RunningTask[] {
    const run = this.load(id);
    if (run.status !== 'running' && run.status !== 'paused') throw new HiveError('INVALID_TRANSITION', `workflow run ${id} is ${run.status}; only a running or paused run can be cancelled`, { details: { runId: id, status: run.status } });
    const open = this.db.q(`SELECT id, status, attempts FROM tasks WHERE run_id = ? AND status IN ('pending', 'queued', 'running')`).all(id) as { id: number; status: string; attempts: number }[];
    const running: RunningTask[] = [];
    this.quiet = true;
    try {
      for (const t of open) {
        if (t.status === 'running') running.push({ taskId: t.id, attempt: t.attempts });
        this.tasks.cancel(t.id, `workflow run ${id} cancelled: ${reason}`, now);
      }
    } finally {
      this.quiet = false;
    }
    const steps = this.db.q(`UPDATE run_steps SET status = 'cancelled', reason = ?, finished_at = ? WHERE run_id = ? AND status IN ('pending', 'ready', 'running') RETURNING name`).all(`run cancelled: ${reason}`, now, id) as { name: string }[];
    for (const s of steps) this.db.event(now, 'run.step', subject(id), { step: s.name, status: 'cancelled', reason: `run cancelled: ${reason}` });
    this.db.q(`UPDATE workflow_runs SET status = 'cancelled', open_steps = 0, error = ?, finished_at = ?, updated_at = ? WHERE id = ?`).run(`cancelled: ${reason}`, now, now, id);
    this.db.event(now, 'run.cancelled', subject(id), { reason, steps: steps.length, killed: running.length });
    return running;
  }

  /** Runs the failed and cancelled steps of a failed or cancelled run again; completed and skipped steps stay. */
  retry(id: number, now: number): void {
    const run = this.load(id);
    if (run.status !== 'failed' && run.status !== 'cancelled') throw new HiveError('INVALID_TRANSITION', `workflow run ${id} is ${run.status}; only a failed or cancelled run can be retried`, { details: { runId: id, status: run.status } });
    const rows = this.db.q(`SELECT name, status FROM run_steps WHERE run_id = ? AND status IN ('failed', 'cancelled')`).all(id) as { name: string; status: StepStatus }[];
    const again = new Set(rows.map((r) => r.name));
    const status = new Map((this.db.q('SELECT name, status FROM run_steps WHERE run_id = ?').all(id) as { name: string; status: StepStatus }[]).map((r) => [r.name, r.status]));
    this.db.q(`UPDATE workflow_runs SET status = 'running', open_steps = ?, failed_steps = 0, error = NULL, finished_at = NULL, updated_at = ? WHERE id = ?`).run(again.size, now, id);
    run.status = 'running';
    const reset = this.db.q(`UPDATE run_steps SET status = 'pending', waiting = ?, live = ?, blocked = NULL, reason = NULL, finished_at = NULL WHERE run_id = ? AND name = ?`);
    const toStart: string[] = [];
    for (const name of run.wf.order) {
      if (!again.has(name)) continue;
      const needs = run.wf.byName.get(name)!.spec.needs;
      const waiting = needs.filter((n) => again.has(n)).length;
      const live = needs.filter((n) => !again.has(n) && needOutcome(status.get(n)!, run.wf.byName.get(n)!.spec.continueOnFailure) === 'live').length;
      reset.run(waiting, live, id, name);
      if (waiting === 0) toStart.push(name);
    }
    this.db.event(now, 'run.retried', subject(id), { steps: [...again] });
    // a step whose needs are all final but all skipped stays skipped-equivalent: needsVerdict decides
    const starts: string[] = [];
    const ends: StepEnd[] = [];
    for (const name of toStart) {
      const step = run.wf.byName.get(name)!;
      const r = this.db.q('SELECT live FROM run_steps WHERE run_id = ? AND name = ?').get(id, name) as { live: number };
      const verdict = needsVerdict(step.spec.needs.length, r.live, null);
      if (verdict === 'skip') ends.push({ name, status: 'skipped', reason: 'every step it needs was skipped' });
      else starts.push(name);
    }
    this.advance(run, starts, ends, now);
  }
}
