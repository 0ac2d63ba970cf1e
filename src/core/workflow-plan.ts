import { HiveError } from './errors.js';
import { findCycle, topoOrder } from './dag.js';
import { evaluate, parseExpr, parseTemplate, render, truthy, type Expr, type ExprRef, type Template } from './expr.js';
import type { TaskDefaults } from './options.js';
import { normalizeCaps } from './routing.js';
import type { NewTask } from './store.js';
import { WORKFLOW_LIMITS, type StepSpec, type StepStatus, type WorkflowSpec } from './workflow.js';

/**
 * A workflow compiled for execution: the graph both ways (needs and dependents), expressions and templates
 * parsed once, and each step's upstream reads. The store caches one per (name, version) — definitions are
 * immutable — so advancing a run costs a few row reads per finished step, never a parse.
 */

export interface CompiledStep {
  name: string;
  index: number;
  spec: StepSpec;
  dependents: string[];
  title: Template | null;
  prompt: Template;
  if: Expr | null;
  forEach: Expr | null;
  /** Steps whose status/output/result its expressions read. */
  reads: string[];
}

export interface CompiledWorkflow {
  name: string;
  steps: CompiledStep[];
  byName: Map<string, CompiledStep>;
  /** Step names in dependency order. */
  order: string[];
}

export const STEP_FIELDS = ['output', 'result', 'status'];
const RUN_FIELDS = ['id', 'workflow', 'version'];

function exprError(step: string, field: string, err: unknown): HiveError {
  if (err instanceof HiveError) return new HiveError(err.code, `step ${step} ${field}: ${err.message}`, { details: { ...err.details, step, field } });
  throw err;
}

export function compileWorkflow(spec: WorkflowSpec): CompiledWorkflow {
  const names = Object.keys(spec.steps);
  const dependents = new Map<string, string[]>(names.map((n) => [n, []]));
  for (const n of names) {
    for (const need of spec.steps[n].needs) {
      if (need === n) throw new HiveError('WORKFLOW_CYCLE', `step ${n} needs itself`, { details: { step: n, cycle: [n, n] } });
      if (!dependents.has(need)) {
        throw new HiveError('UNKNOWN_STEP', `step ${n} needs ${JSON.stringify(need)}, which is not a step of workflow ${spec.name} (steps: ${names.slice(0, 20).join(', ')})`, { details: { step: n, need } });
      }
      dependents.get(need)!.push(n);
    }
  }
  const cycle = findCycle(names, (n) => spec.steps[n].needs);
  if (cycle) throw new HiveError('WORKFLOW_CYCLE', `steps depend on each other in a cycle: ${cycle.join(' -> ')}`, { details: { step: cycle[0], cycle } });

  const ancestors = new Map<string, Set<string>>();
  const upstream = (n: string): Set<string> => {
    let s = ancestors.get(n);
    if (!s) {
      s = new Set();
      for (const d of spec.steps[n].needs) {
        s.add(d);
        for (const a of upstream(d)) s.add(a);
      }
      ancestors.set(n, s);
    }
    return s;
  };
  const order = topoOrder(names, (n) => spec.steps[n].needs);
  const steps: CompiledStep[] = [];
  const byName = new Map<string, CompiledStep>();
  names.forEach((name, index) => {
    const s = spec.steps[name];
    const reads = new Set<string>();
    const check = (field: string, refs: readonly ExprRef[], itemAllowed: boolean): void => {
      for (const ref of refs) checkRef(spec, name, field, ref, itemAllowed, upstream, reads);
    };
    const parse = <T extends { refs: readonly ExprRef[] }>(field: string, source: string | null, f: (s: string) => T, itemAllowed: boolean): T | null => {
      if (source === null) return null;
      let parsed: T;
      try {
        parsed = f(source);
      } catch (err) {
        throw exprError(name, field, err);
      }
      check(field, parsed.refs, itemAllowed);
      return parsed;
    };
    const fanOut = s.forEach !== null;
    const c: CompiledStep = {
      name,
      index,
      spec: s,
      dependents: dependents.get(name)!,
      if: parse('if', s.if, parseExpr, false),
      forEach: parse('for_each', s.forEach, parseExpr, false),
      title: parse('title', s.title, parseTemplate, fanOut),
      prompt: parse('prompt', s.prompt, parseTemplate, fanOut)!,
      reads: [],
    };
    c.reads = [...reads];
    steps.push(c);
    byName.set(name, c);
  });
  return { name: spec.name, steps, byName, order };
}

function checkRef(spec: WorkflowSpec, step: string, field: string, ref: ExprRef, itemAllowed: boolean, upstream: (n: string) => Set<string>, reads: Set<string>): void {
  const where = `step ${step} ${field}`;
  const fail = (code: 'UNKNOWN_STEP' | 'UNKNOWN_INPUT' | 'INVALID_EXPRESSION', msg: string): never => {
    throw new HiveError(code, `${where}: ${msg}`, { details: { step, field, ref: [ref.root, ...ref.path].join('.') } });
  };
  switch (ref.root) {
    case 'inputs':
      if (ref.path.length && !Object.hasOwn(spec.inputs, ref.path[0])) fail('UNKNOWN_INPUT', `inputs.${ref.path[0]} is not declared (inputs: ${Object.keys(spec.inputs).join(', ') || 'none'})`);
      return;
    case 'steps': {
      const target = ref.path[0];
      if (target === undefined) fail('INVALID_EXPRESSION', 'write steps.NAME.output, steps.NAME.result or steps.NAME.status');
      if (!Object.hasOwn(spec.steps, target)) fail('UNKNOWN_STEP', `steps.${target} is not a step of workflow ${spec.name}`);
      if (!upstream(step).has(target)) fail('UNKNOWN_STEP', `steps.${target} is not upstream of ${step}: add it to needs (directly or through another step)`);
      if (ref.path.length > 1 && !STEP_FIELDS.includes(ref.path[1])) fail('INVALID_EXPRESSION', `steps.${target}.${ref.path[1]}: a step has ${STEP_FIELDS.join(', ')}`);
      reads.add(target);
      return;
    }
    case 'item':
    case 'index':
      if (!itemAllowed) fail('INVALID_EXPRESSION', `${ref.root} exists only in the title and prompt of a step with for_each`);
      return;
    case 'run':
      if (ref.path.length && !RUN_FIELDS.includes(ref.path[0])) fail('INVALID_EXPRESSION', `run.${ref.path[0]}: a run has ${RUN_FIELDS.join(', ')}`);
      return;
    default:
      fail('INVALID_EXPRESSION', `unknown name ${ref.root} (expected inputs, steps, run, or item/index in a for_each step)`);
  }
}

// ---------------------------------------------------------------- advancing a run

/** What a step whose needs have all ended does next, from counters the store keeps. */
export function needsVerdict(needs: number, live: number, blocked: string | null): 'cancel' | 'skip' | 'go' {
  if (blocked !== null) return 'cancel';
  if (needs > 0 && live === 0) return 'skip';
  return 'go';
}

/** How a finished need counts for its dependents: `live` (completed, or failed with continue_on_failure), `skipped`, or blocking. */
export function needOutcome(status: StepStatus, continueOnFailure: boolean): 'live' | 'skipped' | 'blocks' {
  if (status === 'completed' || (status === 'failed' && continueOnFailure)) return 'live';
  if (status === 'skipped') return 'skipped';
  return 'blocks';
}

export interface StepScope {
  inputs: Record<string, unknown>;
  steps: Record<string, { status: StepStatus; output: string | null; result: unknown }>;
  run: { id: number; workflow: string; version: number };
}

export type StepDecision =
  | { kind: 'skip'; reason: string }
  | { kind: 'fail'; reason: string }
  | { kind: 'start'; tasks: { title: string; prompt: string; item: number | null }[] };

/** Evaluates `if` and `for_each` and renders the step's task(s). Pure; never throws for data reasons. */
export function decideStart(wf: CompiledWorkflow, step: CompiledStep, scope: StepScope): StepDecision {
  if (step.if && !truthy(evaluate(step.if, scope as unknown as Record<string, unknown>))) return { kind: 'skip', reason: `if: ${step.if.source} was false` };
  const baseTitle = (s: Record<string, unknown>, suffix: string): string => (step.title ? render(step.title, s) : `${wf.name}.${step.name}${suffix}`).slice(0, 500) || step.name;
  if (!step.forEach) {
    const s = scope as unknown as Record<string, unknown>;
    return { kind: 'start', tasks: [{ title: baseTitle(s, ''), prompt: render(step.prompt, s), item: null }] };
  }
  const items = evaluate(step.forEach, scope as unknown as Record<string, unknown>);
  if (!Array.isArray(items)) return { kind: 'fail', reason: `EXPRESSION_FAILED: for_each: ${step.forEach.source} gave ${JSON.stringify(items)?.slice(0, 80)}, not a list` };
  if (items.length > WORKFLOW_LIMITS.forEachItems) return { kind: 'fail', reason: `EXPRESSION_FAILED: for_each: ${items.length} items, over the limit of ${WORKFLOW_LIMITS.forEachItems}` };
  return {
    kind: 'start',
    tasks: items.map((item, index) => {
      const s = { ...scope, item, index } as unknown as Record<string, unknown>;
      return { title: baseTitle(s, `[${index}]`), prompt: render(step.prompt, s), item: index };
    }),
  };
}

/** The task a step starts (one per for_each item). */
export function stepTask(step: CompiledStep, defaults: TaskDefaults, t: { title: string; prompt: string; item: number | null }, run: number): NewTask {
  const s = step.spec;
  return {
    title: t.title,
    prompt: t.prompt,
    type: s.type ?? 'task',
    priority: s.priority ?? defaults.priority,
    capabilities: s.agent ? normalizeCaps([...s.capabilities, `agent:${s.agent}`]) : s.capabilities,
    dependsOn: [],
    locks: s.locks,
    retry: { ...defaults.retry, maxAttempts: s.maxAttempts ?? defaults.retry.maxAttempts },
    timeoutMs: s.timeoutMs,
    scheduleTimeoutMs: defaults.scheduleTimeoutMs,
    idempotencyKey: null,
    metadata: {},
    run: { id: run, step: step.name, item: t.item },
  };
}

/** A step's final status from the final statuses of its tasks. */
export function stepOutcome(taskStatuses: readonly string[]): 'completed' | 'failed' | 'cancelled' {
  if (taskStatuses.includes('dead')) return 'failed';
  if (taskStatuses.includes('cancelled')) return 'cancelled';
  return 'completed';
}
