import { formatDuration } from '../core/duration.js';
import type { RunStep, StepStatus, WorkflowRun } from '../core/workflow.js';

/**
 * `hive workflow status RUN`: a run's DAG drawn for a terminal. Steps are grouped by depth (the longest path
 * from a root), each line indented by its depth, in definition order within a depth:
 *
 *   run 3  feature@1  running  4.20s
 *   ✓ plan       completed  agent planner  1.02s
 *     ● backend  running    ← plan  agent coder  3.10s
 *     ◌ docs     running    ← plan  agent writer, coder  2.00s  items 2/5
 *
 * Pure: the caller passes the run, the time now, and for each fan-out (for_each) step how many items completed.
 */

export const STATUS_SYMBOL: Record<StepStatus, string> = {
  pending: '○',
  ready: '◎',
  running: '●',
  completed: '✓',
  failed: '✗',
  skipped: '↷',
  cancelled: '⊘',
};

/** Depth of each step: 0 for a step with no needs, else 1 + the deepest step it needs. */
export function stepDepths(steps: Pick<RunStep, 'name' | 'needs'>[]): Map<string, number> {
  const needs = new Map(steps.map((s) => [s.name, s.needs]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const of = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name) || !needs.has(name)) return 0; // a cycle or an unknown name cannot come from a valid run; draw it flat
    visiting.add(name);
    const d = Math.max(-1, ...needs.get(name)!.map(of)) + 1;
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  for (const s of steps) of(s.name);
  return depth;
}

function span(from: number | null, to: number | null, now: number): string | null {
  if (from === null) return null;
  return formatDuration(Math.max(0, (to ?? now) - from));
}

/** The drawing: a header line, then one line per step. `fanOut` maps each for_each step to its completed items. */
export function drawRun(run: WorkflowRun, now: number, fanOut: ReadonlyMap<string, number> = new Map()): string {
  const steps = run.steps ?? [];
  const depths = stepDepths(steps);
  const order = steps.map((s, i) => ({ s, i, d: depths.get(s.name) ?? 0 })).sort((a, b) => a.d - b.d || a.i - b.i);
  const label = (x: { s: RunStep; d: number }): string => `${'  '.repeat(x.d)}${STATUS_SYMBOL[x.s.status] ?? '?'} ${x.s.name}`;
  const width = Math.max(0, ...order.map((x) => label(x).length));
  const statusWidth = Math.max(0, ...steps.map((s) => s.status.length));
  const header = [`run ${run.id}`, `${run.workflow}@${run.version}`, run.status, span(run.createdAt, run.finishedAt, now)].filter(Boolean).join('  ');
  const lines = order.map((x) => {
    const s = x.s;
    const parts = [label(x).padEnd(width), s.status.padEnd(statusWidth)];
    if (s.needs.length) parts.push(`← ${s.needs.join(', ')}`);
    if (s.agents.length) parts.push(`agent ${s.agents.join(', ')}`);
    const d = span(s.startedAt, s.finishedAt, now);
    if (d) parts.push(d);
    if (fanOut.has(s.name) && s.items !== null) parts.push(`items ${fanOut.get(s.name)}/${s.items}`);
    if (s.reason && (s.status === 'skipped' || s.status === 'cancelled' || s.status === 'failed' || s.status === 'ready')) parts.push(`(${s.reason})`);
    return parts.join('  ').trimEnd();
  });
  const tail = run.error ? [`error: ${run.error}`] : [];
  return [header, ...lines, ...tail].join('\n');
}
