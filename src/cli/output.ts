import { formatDuration } from '../core/duration.js';
import type { Agent, HiveEvent, Task } from '../core/types.js';
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
    case 'agent.status':
      return `${time(e.time)} ${who} ${d.from} -> ${d.to}${d.reason ? ` (${d.reason})` : ''}`;
    default:
      return `${time(e.time)} ${who} ${e.type} ${JSON.stringify(d)}`;
  }
}
