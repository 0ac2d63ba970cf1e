import { HiveError, validationError, type FieldIssue } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { TaskDefaults } from '../core/options.js';
import type { Store } from '../core/store.js';
import { parseWorkflowDefinition } from '../core/workflow-def.js';
import { RUN_STATUSES, type RunFilter, type Workflow, type WorkflowRun } from '../core/workflow.js';

/** What the workflow service needs from the orchestrator around it. */
export interface WorkflowHost {
  /** New tasks may be ready: run the dispatch loop. */
  wake(): void;
  /** Kill the process of a running attempt (it was cancelled). */
  abort(taskId: number, attempt: number, reason: string): void;
  /** The event log grew: tell live subscribers. */
  poke(): void;
}

function checkId(id: unknown, what = 'id'): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) throw validationError([{ path: what, message: `expected a positive integer, got ${JSON.stringify(id)}` }]);
  return id;
}

/**
 * Workflows, as the orchestrator offers them (`hive.workflows`): definitions, runs and their control. The
 * store advances runs inside the transactions that end their tasks; this service validates, calls the
 * store, and wakes the scheduler or kills processes as a change requires.
 */
export class WorkflowService {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly taskDefaults: TaskDefaults,
    private readonly host: WorkflowHost,
  ) {}

  /** Validates a definition document (YAML/JSON already parsed) and stores it as a version. */
  async define(doc: unknown): Promise<{ workflow: Workflow; created: boolean }> {
    const { spec, version } = parseWorkflowDefinition(doc);
    const out = await this.store.defineWorkflow(spec, version, this.clock.now());
    this.host.poke();
    return out;
  }

  get(name: string, version?: number): Promise<Workflow> {
    if (version !== undefined) checkId(version, 'version');
    return this.store.getWorkflow(name, version);
  }

  list(): Promise<(Workflow & { versions: number })[]> {
    return this.store.listWorkflows();
  }

  /** Creates a run (and the tasks of its first steps) in one transaction; returns it. */
  async execute(name: string, inputs: unknown = {}, version?: number): Promise<WorkflowRun> {
    if (typeof name !== 'string' || name === '') throw validationError([{ path: 'name', message: 'expected a workflow name' }]);
    if (version !== undefined) checkId(version, 'version');
    const run = await this.store.createRun(name, version, inputs, this.taskDefaults, this.clock.now());
    this.host.wake();
    this.host.poke();
    return run;
  }

  getRun(id: number): Promise<WorkflowRun> {
    return this.store.getRun(checkId(id));
  }

  async listRuns(filter: RunFilter = {}): Promise<WorkflowRun[]> {
    const issues: FieldIssue[] = [];
    if (filter.status !== undefined && (!Array.isArray(filter.status) || filter.status.some((s) => !RUN_STATUSES.includes(s)))) issues.push({ path: 'status', message: `expected statuses among ${RUN_STATUSES.join(', ')}` });
    if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > 1000)) issues.push({ path: 'limit', message: 'expected an integer from 1 to 1000' });
    if (filter.beforeId !== undefined && (!Number.isSafeInteger(filter.beforeId) || filter.beforeId < 1)) issues.push({ path: 'cursor', message: 'expected a positive integer' });
    if (issues.length) throw validationError(issues, 'filter');
    return this.store.listRuns(filter);
  }

  async pause(id: number): Promise<WorkflowRun> {
    const run = await this.store.pauseRun(checkId(id), this.clock.now());
    this.host.poke();
    return run;
  }

  async resume(id: number): Promise<WorkflowRun> {
    const run = await this.store.resumeRun(checkId(id), this.clock.now());
    this.host.wake();
    this.host.poke();
    return run;
  }

  /** Cancels the run: pending steps are cancelled, running steps' processes are killed. */
  async cancel(id: number, reason = 'cancelled by user'): Promise<WorkflowRun> {
    if (typeof reason !== 'string' || reason.length > 500) throw new HiveError('VALIDATION_FAILED', 'reason: expected a string of at most 500 characters');
    const { run, running } = await this.store.cancelRun(checkId(id), reason, this.clock.now());
    for (const r of running) this.host.abort(r.taskId, r.attempt, reason);
    this.host.wake();
    this.host.poke();
    return run;
  }

  /** Runs the failed and cancelled steps of a failed or cancelled run again. */
  async retry(id: number): Promise<WorkflowRun> {
    const run = await this.store.retryRun(checkId(id), this.clock.now());
    this.host.wake();
    this.host.poke();
    return run;
  }
}
