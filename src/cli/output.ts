import { formatDuration } from '../core/duration.js';
import type { Agent, HiveEvent, Task } from '../core/types.js';
import type { Workflow, WorkflowRun } from '../core/workflow.js';
export { taskJson, agentJson } from '../core/present.js';

/** Printing helpers shared by the commands: JSON, plain tables, one-line event descriptions. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals: string[]): string => vals.map((v, i) => (i === vals.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}

export function taskRow(t: Task): Record<string, unknown> {
  return {
    id: t.id,
    status: t.status,
    priority: t.priority,
    attempts: t.attempts,
    agent: t.agent,
    title: t.title.length > 50 ? `${t.title.slice(0, 49)}…` : t.title,
    note: t.error && (t.status === 'dead' || t.status === 'cancelled') ? t.error : t.reason,
  };
}

export function agentRow(a: Agent): Record<string, unknown> {
  return {
    name: a.name,
    status: a.status,
    runtime: a.runtime.kind,
    slots: `${a.running}/${a.slots}`,
    capabilities: a.capabilities.join(',') || '-',
    done: a.done,
    failed: a.failed,
  };
}

export function workflowRow(w: Workflow & { versions?: number }): Record<string, unknown> {
  return {
    name: w.name,
    version: w.version,
    versions: w.versions,
    steps: Object.keys(w.steps).length,
    inputs: Object.keys(w.inputs).join(',') || '-',
    description: w.description && w.description.length > 50 ? `${w.description.slice(0, 49)}…` : w.description,
  };
}

export function runRow(r: WorkflowRun): Record<string, unknown> {
  const total = Object.values(r.progress).reduce((a, b) => a + b, 0);
  const done = r.progress.completed + r.progress.skipped;
  return {
    id: r.id,
    workflow: `${r.workflow}@${r.version}`,
    status: r.status,
    steps: `${done}/${total}`,
    created: new Date(r.createdAt).toISOString().replace('T', ' ').slice(0, 19),
    duration: r.finishedAt === null ? null : formatDuration(r.finishedAt - r.createdAt),
    error: r.error && r.error.length > 60 ? `${r.error.slice(0, 59)}…` : r.error,
  };
}

const time = (ms: number): string => new Date(ms).toISOString().slice(11, 23);

/** One human line per event, for live progress. */
export function describeEvent(e: HiveEvent): string {
  const d = e.data as Record<string, any>;
  const who = e.subject.replace(':', ' ');
  switch (e.type) {
    case 'task.enqueued':
      return `${time(e.time)} ${who} ${d.status} [${d.priority}] ${JSON.stringify(d.title)}`;
    case 'task.queued':
      return `${time(e.time)} ${who} queued (${d.reason ?? 'ready'})`;
    case 'task.started':
      return `${time(e.time)} ${who} started on ${d.agent} (attempt ${d.attempt})`;
    case 'task.completed':
      return `${time(e.time)} ${who} completed on ${d.agent} in ${formatDuration(d.durationMs)}`;
    case 'task.failed':
      return `${time(e.time)} ${who} failed on ${d.agent} (attempt ${d.attempt}): ${d.code}: ${d.error} -> ${d.next}`;
    case 'task.dead':
      return `${time(e.time)} ${who} dead: ${d.reason}`;
    case 'task.cancelled':
      return `${time(e.time)} ${who} cancelled: ${d.reason}`;
    case 'task.requeued':
      return `${time(e.time)} ${who} requeued (${d.from} -> ${d.status})`;
    case 'run.created':
      return `${time(e.time)} ${who} created: ${d.workflow}@${d.version} (${d.steps} steps)`;
    case 'run.step':
      return `${time(e.time)} ${who} step ${d.step} ${d.status}${d.tasks ? ` (task ${d.tasks.join(', ')})` : ''}${d.reason ? `: ${d.reason}` : ''}`;
    case 'run.paused':
      return `${time(e.time)} ${who} paused (${d.heldTasks} queued task(s) held)`;
    case 'run.resumed':
      return `${time(e.time)} ${who} resumed (${d.releasedTasks} task(s) released)`;
    case 'run.retried':
      return `${time(e.time)} ${who} retried: ${d.steps.join(', ')}`;
    case 'run.completed':
      return `${time(e.time)} ${who} completed in ${formatDuration(d.durationMs)}`;
    case 'run.failed':
      return `${time(e.time)} ${who} failed in ${formatDuration(d.durationMs)}: ${d.error}`;
    case 'run.cancelled':
      return `${time(e.time)} ${who} cancelled: ${d.reason}`;
    case 'workflow.defined':
      return `${time(e.time)} ${who} version ${d.version} defined (${d.steps} steps)`;
    case 'agent.status':
      return `${time(e.time)} ${who} ${d.from} -> ${d.to}${d.reason ? ` (${d.reason})` : ''}`;
    default:
      return `${time(e.time)} ${who} ${e.type} ${JSON.stringify(d)}`;
  }
}
