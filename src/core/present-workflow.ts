import { fieldError } from './errors.js';
import { RUN_STATUSES, type RunStatus, type RunStep, type Workflow, type WorkflowRun } from './workflow.js';

/**
 * The JSON shapes of workflows and workflow runs that the CLI's --json and the HTTP API both print, and their
 * way back to domain objects (the CLI as a remote client reads them). Times are ISO strings, as in present.ts.
 */

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const ms = (s: string | null): number | null => (s === null ? null : Date.parse(s));

/** A workflow definition as JSON (`versions` only where the store counted them: the list). */
export function workflowJson(w: Workflow & { versions?: number }) {
  return {
    name: w.name,
    version: w.version,
    description: w.description,
    inputs: w.inputs,
    steps: w.steps,
    createdAt: iso(w.createdAt)!,
    ...(w.versions !== undefined ? { versions: w.versions } : {}),
  };
}

export type WorkflowJson = ReturnType<typeof workflowJson>;

/** The inverse of workflowJson. */
export function workflowFromJson(j: WorkflowJson): Workflow & { versions?: number } {
  return {
    name: j.name,
    description: j.description,
    inputs: j.inputs,
    steps: j.steps,
    version: j.version,
    createdAt: ms(j.createdAt)!,
    ...(j.versions !== undefined ? { versions: j.versions } : {}),
  };
}

/** One step of a run as JSON: `task_ids`, and `agent` = the agent that ran it (agents joined by ", " for a fan-out) or null. */
export function stepJson(s: RunStep) {
  return {
    name: s.name,
    status: s.status,
    task_ids: s.taskIds,
    agent: s.agents.length ? s.agents.join(', ') : null,
    agents: s.agents,
    output: s.output,
    result: s.result,
    reason: s.reason,
    needs: s.needs,
    items: s.items,
    usage: s.usage,
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
  };
}

export type StepJson = ReturnType<typeof stepJson>;

/** A run as JSON; `steps` only when the run was read alone (lists carry `progress` only). */
export function runJson(r: WorkflowRun) {
  return {
    id: r.id,
    workflow: r.workflow,
    version: r.version,
    status: r.status,
    inputs: r.inputs,
    error: r.error,
    usage: r.usage,
    progress: r.progress,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    finishedAt: iso(r.finishedAt),
    durationMs: r.finishedAt === null ? null : r.finishedAt - r.createdAt,
    ...(r.steps ? { steps: r.steps.map(stepJson) } : {}),
  };
}

export type RunJson = ReturnType<typeof runJson>;

/** The inverse of runJson, with keys in the domain order (so both CLI modes print alike). */
export function runFromJson(j: RunJson): WorkflowRun {
  return {
    id: j.id,
    workflow: j.workflow,
    version: j.version,
    status: j.status,
    inputs: j.inputs,
    error: j.error,
    usage: j.usage,
    createdAt: ms(j.createdAt)!,
    updatedAt: ms(j.updatedAt)!,
    finishedAt: ms(j.finishedAt),
    progress: j.progress,
    ...(j.steps
      ? {
          steps: j.steps.map(
            (s): RunStep => ({
              name: s.name,
              status: s.status,
              needs: s.needs,
              taskIds: s.task_ids,
              agents: s.agents,
              output: s.output,
              result: s.result,
              reason: s.reason,
              items: s.items,
              usage: s.usage,
              startedAt: ms(s.startedAt),
              finishedAt: ms(s.finishedAt),
            }),
          ),
        }
      : {}),
  };
}

/** Parses a comma-separated list of run statuses (a CLI flag, a query parameter); VALIDATION_FAILED names `field`. */
export function parseRunStatusList(text: string | undefined, field: string): RunStatus[] | undefined {
  if (!text) return undefined;
  const list = text.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!RUN_STATUSES.includes(s as RunStatus)) throw fieldError(field, `expected one or more of ${RUN_STATUSES.join(', ')}, got ${JSON.stringify(s.slice(0, 40))}`);
  }
  return list as RunStatus[];
}
