import { z } from 'zod';
import { PRESET_TOOLS, PRIORITIES, TASK_STATUSES } from '../core/types.js';
import { LIMITS } from '../core/task-input.js';
import { RUN_STATUSES, STEP_STATUSES } from '../core/workflow.js';
import { CLEANUP_POLICIES, WORKSPACE_MODES } from '../core/workspace.js';

/**
 * Request and response schemas of /api/v1: they validate requests (fastify-type-provider-zod) and generate
 * the OpenAPI document. Domain rules beyond shape are checked again by core (resolveTaskInput, resolveAgentSpec).
 */
const name = z.string().min(1).max(LIMITS.nameChars);
const ms = z.number().int().min(0).max(LIMITS.durationMs);

export const TaskInputSchema = z
  .object({
    ref: name.optional().describe('client-side reference: other tasks in the same request depend on it by this name'),
    title: z.string().min(1).max(LIMITS.titleChars),
    prompt: z.string().max(LIMITS.promptChars).optional(),
    type: name.optional(),
    priority: z.enum(PRIORITIES).optional(),
    capabilities: z.array(name).max(LIMITS.listItems).optional(),
    dependsOn: z.array(z.union([z.number().int().positive(), name])).max(LIMITS.listItems).optional().describe('task ids, or refs of tasks in the same request'),
    locks: z.array(name).max(LIMITS.listItems).optional(),
    maxAttempts: z.number().int().min(1).max(LIMITS.maxAttempts).optional(),
    backoffMs: ms.optional(),
    backoffCapMs: ms.optional(),
    timeoutMs: ms.optional(),
    scheduleTimeoutMs: ms.optional(),
    idempotencyKey: name.optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const CreateTasksSchema = z.union([TaskInputSchema, z.object({ tasks: z.array(TaskInputSchema).min(1).max(1000) }).strict()]);

export const TaskSchema = z
  .object({
    id: z.number(),
    title: z.string(),
    status: z.enum(TASK_STATUSES),
    priority: z.enum(PRIORITIES),
    attempts: z.number(),
    agent: z.string().nullable(),
    error: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .loose();

export const AttemptSchema = z.object({ attempt: z.number(), agent: z.string(), status: z.string() }).loose();
export const AgentSchema = z.object({ id: z.number(), name: z.string(), status: z.string(), capabilities: z.array(z.string()), slots: z.number(), running: z.number() }).loose();

export const AgentInputSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    role: z.string().max(200).optional(),
    capabilities: z.array(name).max(100).optional(),
    runtime: z.enum(['command', 'worker', ...PRESET_TOOLS]).optional().describe('command (default), worker, or a coding-agent preset'),
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]).optional().describe('required for command and worker agents; presets build their own'),
    shell: z.boolean().optional().describe('command: run the command string through /bin/sh'),
    tmux: z.boolean().optional().describe('command and presets: run inside a tmux session (hive attach TASK)'),
    heartbeatMs: ms.optional().describe('worker: heartbeat interval'),
    model: z.string().min(1).max(200).optional().describe('presets: --model'),
    extraArgs: z.array(z.string().max(10_000)).max(100).optional().describe('presets: arguments added before the prompt'),
    permissionMode: z.string().min(1).max(100).optional().describe('presets: claude --permission-mode, codex -s, gemini --approval-mode'),
    maxTurns: z.number().int().min(1).max(10_000).optional().describe('claude-code: --max-turns'),
    binary: z.string().min(1).max(4096).optional().describe('presets: the executable (default: the tool name on PATH)'),
    slots: z.number().int().min(1).max(1000).optional(),
    env: z.record(z.string(), z.string()).optional(),
    workdir: z.string().min(1).optional(),
    timeoutMs: ms.optional(),
    idleTimeoutMs: ms.optional().describe('watchdog: kill after this long without output (IDLE_TIMEOUT); 0 = off'),
    exitGraceMs: ms.optional().describe('watchdog: kill this long after a final result, keeping the result (HUNG_AFTER_RESULT); 0 = off'),
    workspace: z
      .object({
        repo: z.string().min(1).max(4096).describe('absolute path of the git repository (its top-level directory), inside the allowed workspace roots'),
        mode: z.enum(WORKSPACE_MODES).optional().describe('worktree (default): a git worktree per task; shared: the repository itself, one writer'),
        base: z.string().min(1).max(250).optional().describe('worktree: the branch or commit new worktrees start from'),
        branch: z.string().min(1).max(250).optional().describe('worktree: branch name template with {task} (and {agent}); default hive/{agent}/{task}'),
        root: z.string().min(1).max(4096).optional().describe('worktree: absolute directory the worktrees go in; default <data>/worktrees'),
        cleanup: z.enum(CLEANUP_POLICIES).optional().describe('when a worktree is removed: on_success (default), always, never'),
        setup: z.string().min(1).max(10_000).optional().describe('shell command run once per worktree before its first attempt'),
      })
      .strict()
      .nullable()
      .optional()
      .describe('a git workspace per task (docs/workspaces.md); null removes it'),
  })
  .strict();

export const IdParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict();
export const AgentParams = z.object({ id: z.string().min(1).max(200) }).strict();

export const ListQuery = z
  .object({
    status: z.string().max(200).optional().describe('comma-separated statuses'),
    agent: name.optional(),
    capability: name.optional(),
    cursor: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('the nextCursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

export const EventsQuery = z
  .object({
    after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    types: z.string().max(1000).optional().describe('comma-separated event types'),
    task: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe('only the events of this task'),
    run: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe('only the events of this workflow run (run.*; its tasks have their own)'),
  })
  .strict()
  .refine((q) => q.task === undefined || q.run === undefined, { message: 'give task or run, not both', path: ['run'] });

export const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) });

// ---- workflows

const usage = z.object({ inputTokens: z.number(), outputTokens: z.number(), costUsd: z.number() });

export const WorkflowSchema = z
  .object({
    name: z.string(),
    version: z.number(),
    description: z.string().nullable(),
    inputs: z.record(z.string(), z.unknown()),
    steps: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
    versions: z.number().optional().describe('how many versions the workflow has (lists only)'),
  })
  .loose();

/** The definition document (as hive.yaml or a YAML file holds it, as JSON); define() checks it and names each bad key path. */
export const WorkflowDefinitionSchema = z
  .record(z.string(), z.unknown())
  .describe('a workflow definition: { name, version?, description?, inputs?, steps: { NAME: { caps, needs, prompt, ... } } } (see docs/workflows.md)');

export const StepSchema = z
  .object({
    name: z.string(),
    status: z.enum(STEP_STATUSES),
    task_ids: z.array(z.number()),
    agent: z.string().nullable().describe('the agent that ran the step; for a fan-out, the agents joined by ", "'),
    agents: z.array(z.string()),
    output: z.string().nullable(),
    result: z.unknown(),
    reason: z.string().nullable(),
    needs: z.array(z.string()),
    items: z.number().nullable(),
    usage,
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .loose();

export const RunSchema = z
  .object({
    id: z.number(),
    workflow: z.string(),
    version: z.number(),
    status: z.enum(RUN_STATUSES),
    inputs: z.record(z.string(), z.unknown()),
    error: z.string().nullable(),
    usage,
    progress: z.record(z.string(), z.number()),
    createdAt: z.string(),
    updatedAt: z.string(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    steps: z.array(StepSchema).optional().describe('present when one run is read, absent in lists'),
  })
  .loose();

export const WorkflowParams = z.object({ name: z.string().min(1).max(LIMITS.nameChars) }).strict();

export const RunListQuery = z
  .object({
    status: z.string().max(200).optional().describe('comma-separated run statuses'),
    workflow: name.optional(),
    cursor: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().describe('the nextCursor of the previous page (runs with a smaller id)'),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();
