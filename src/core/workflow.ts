import type { Priority, Usage } from './types.js';

/**
 * Workflows: a named, versioned DAG of steps. Each step is a task template with its own capabilities and
 * `needs` (other steps). Executing a workflow creates a run; the store advances the run in the same
 * transaction as each of its tasks ends (see stores/sqlite/runs.ts), so a crash never loses a step.
 *
 *   Step:  pending ──▶ running ──▶ completed | failed
 *             │  └──▶ ready (its run is paused) ──▶ running
 *             └──▶ skipped (`if` false, or every need skipped) | cancelled (a need failed, or the run was cancelled)
 *   Run:   running ⇄ paused ──▶ completed | failed | cancelled ──(retry: failed or cancelled)──▶ running
 */

export const RUN_STATUSES = ['running', 'paused', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['completed', 'failed', 'cancelled'];

export const STEP_STATUSES = ['pending', 'ready', 'running', 'completed', 'failed', 'skipped', 'cancelled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export const FINAL_STEP_STATUSES: readonly StepStatus[] = ['completed', 'failed', 'skipped', 'cancelled'];

export const INPUT_TYPES = ['string', 'number', 'boolean', 'object', 'array', 'any'] as const;
export type InputType = (typeof INPUT_TYPES)[number];

export interface InputSpec {
  type: InputType;
  required: boolean;
  default?: unknown;
  description?: string;
}

/** A step as stored: validated and normalised (durations in ms, capability and lock lists sorted). */
export interface StepSpec {
  needs: string[];
  title: string | null;
  prompt: string;
  capabilities: string[];
  priority: Priority | null;
  /** Per-attempt timeout in ms (0 = the agent's limit, then the default). */
  timeoutMs: number;
  /** Attempts in all (retries + 1); null = the default. */
  maxAttempts: number | null;
  locks: string[];
  /** Pin to one agent: routed through the capability `agent:<name>`, which every agent holds for its own name. */
  agent: string | null;
  type: string | null;
  if: string | null;
  forEach: string | null;
  continueOnFailure: boolean;
}

/** A workflow definition as stored (the normalised form of what the user wrote). */
export interface WorkflowSpec {
  name: string;
  description: string | null;
  inputs: Record<string, InputSpec>;
  /** In definition order. */
  steps: Record<string, StepSpec>;
}

export interface Workflow extends WorkflowSpec {
  version: number;
  createdAt: number;
}

export interface RunStep {
  name: string;
  status: StepStatus;
  needs: string[];
  /** Tasks of the step (one, or one per for_each item), in item order. */
  taskIds: number[];
  /** Agents that ran its tasks (last attempt each), distinct. */
  agents: string[];
  /** Final text: the task's output; for a for_each step the items' outputs joined by blank lines. */
  output: string | null;
  /** The task's JSON result; for a for_each step the array of the items' results. */
  result: unknown;
  /** Why it is skipped, cancelled or failed. */
  reason: string | null;
  items: number | null;
  usage: Usage;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface WorkflowRun {
  id: number;
  workflow: string;
  version: number;
  status: RunStatus;
  inputs: Record<string, unknown>;
  /** Why it failed or was cancelled. */
  error: string | null;
  usage: Usage;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  /** Counts of steps per status. */
  progress: Record<StepStatus, number>;
  /** Present on a single-run read, absent in lists. */
  steps?: RunStep[];
}

export interface RunFilter {
  status?: RunStatus[];
  workflow?: string;
  /** Runs with id < beforeId (cursor; newest first). */
  beforeId?: number;
  limit?: number;
}

export const WORKFLOW_LIMITS = Object.freeze({
  steps: 2000,
  inputs: 100,
  forEachItems: 1000,
  stepNameChars: 100,
  definitionChars: 4_000_000,
});

/** Names usable in expressions as `steps.NAME` / `inputs.NAME`. */
export const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
