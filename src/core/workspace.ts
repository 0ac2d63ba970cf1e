import type { FieldIssue } from './errors.js';
import type { AgentSpec } from './store.js';
import type { Agent, RuntimeSpec, Task, TaskStatus } from './types.js';

/**
 * Workspaces: where an agent's attempt works in a git repository (see docs/workspaces.md).
 * - `worktree`: every task gets its own git worktree, on its own branch (`hive/{agent}/{task}`), created outside
 *   the repository (under `root`, default `<data dir>/worktrees`) from `base`. A retry of the task reuses it.
 * - `shared`: the attempt runs in the repository itself; one writer (slots 1, no other agent on the path).
 * This file is the pure part: the spec, its checks, names and paths, and the port the engine drives. The git
 * work (I/O) is in src/workspaces/.
 */

export const WORKSPACE_MODES = ['worktree', 'shared'] as const;
export type WorkspaceMode = (typeof WORKSPACE_MODES)[number];
/** When a worktree is removed after an attempt (its branch always stays). */
export const CLEANUP_POLICIES = ['on_success', 'always', 'never'] as const;
export type CleanupPolicy = (typeof CLEANUP_POLICIES)[number];
export const DEFAULT_BRANCH_TEMPLATE = 'hive/{agent}/{task}';
export const DEFAULT_CLEANUP: CleanupPolicy = 'on_success';

export interface WorkspaceSpec {
  /** Absolute path of the repository's top-level directory. */
  repo: string;
  mode: WorkspaceMode;
  /** worktree: the branch or commit new worktrees start from; default the repository's current branch. */
  base?: string;
  /** worktree: the branch name template; `{agent}` and `{task}` (required) are replaced. */
  branch?: string;
  /** worktree: absolute directory the worktrees go in (as `<root>/<agent>/<task>`); default `<data dir>/worktrees`. */
  root?: string;
  cleanup?: CleanupPolicy;
  /** A shell command run once per worktree (shared: once per repository) before the first attempt in it. */
  setup?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The agent's workspace. It is stored inside the `runtime` JSON under `workspace` (the agents table has no
 * column of its own for it yet); an AgentSpec may give it at the top level, which wins.
 */
export function workspaceOf(a: { runtime: RuntimeSpec; workspace?: WorkspaceSpec | null }): WorkspaceSpec | null {
  if (a.workspace !== undefined) return a.workspace;
  const w = (a.runtime as { workspace?: unknown } | null)?.workspace;
  return isObject(w) ? (w as unknown as WorkspaceSpec) : null;
}

/** The runtime without a stored workspace (what the runtime itself is about). */
export function runtimeWithoutWorkspace(rt: RuntimeSpec): RuntimeSpec {
  if (!isObject(rt) || !('workspace' in rt)) return rt;
  const { workspace: _drop, ...rest } = rt as RuntimeSpec & { workspace?: unknown };
  return rest as RuntimeSpec;
}

/** The spec as the store keeps it: the workspace moved into the runtime JSON (TODO: a column of its own). */
export function storedAgentSpec(spec: AgentSpec): AgentSpec {
  const ws = workspaceOf(spec);
  const { workspace: _top, ...rest } = spec;
  const runtime = runtimeWithoutWorkspace(spec.runtime);
  return { ...rest, runtime: ws ? ({ ...runtime, workspace: ws } as unknown as RuntimeSpec) : runtime };
}

const WS_KEYS = new Set(['repo', 'mode', 'base', 'branch', 'root', 'cleanup', 'setup']);
const WORKTREE_ONLY = ['base', 'branch', 'root', 'cleanup'] as const;
const TEMPLATE_VARS = /\{([^{}]*)\}/g;

/**
 * Whether `name` is a branch name git accepts (the rules of `git check-ref-format --branch`, for the characters
 * Hive produces): no empty, `.`-leading or `.lock`-ending component, no `..`, `@{`, control characters, space or
 * any of `~ ^ : ? * [ \`, not `@`, not starting with `-`.
 */
export function isBranchName(name: string): boolean {
  if (name === '' || name === '@' || name.startsWith('-') || name.endsWith('/') || name.endsWith('.') || name.length > 250) return false;
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return name.split('/').every((c) => c !== '' && !c.startsWith('.') && !c.endsWith('.lock'));
}

/** The branch of `task` for `agent`: the template with {agent} and {task} replaced. */
export function branchName(template: string, agent: string, taskId: number): string {
  return template.replace(/\{agent\}/g, agent).replace(/\{task\}/g, String(taskId));
}

/** Joins absolute POSIX path parts (core has no node:path); collapses repeated and trailing slashes. */
function joinPath(...parts: string[]): string {
  return parts.join('/').replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
}

/** The default directory worktrees go in. */
export function defaultWorktreeRoot(dataDir: string): string {
  return joinPath(dataDir, 'worktrees');
}

/**
 * Where a task of an agent works, known without asking git: its worktree and branch (worktree mode), or the
 * repository and no branch name (shared: the branch is whatever is checked out).
 */
export function workspacePlace(ws: WorkspaceSpec, agent: string, taskId: number, dataDir: string): { worktree: string; branch: string | null } {
  if (ws.mode === 'shared') return { worktree: ws.repo, branch: null };
  return { worktree: joinPath(ws.root ?? defaultWorktreeRoot(dataDir), agent, String(taskId)), branch: branchName(ws.branch ?? DEFAULT_BRANCH_TEMPLATE, agent, taskId) };
}

/** The shape checks of an agent's workspace (paths exist, roots, conflicts: WorkspacePort.check). */
export function workspaceIssues(ws: unknown, agent: { name: string; slots: number; workdir: string | null }, path = 'workspace', agentPath = ''): FieldIssue[] {
  const at = (key: string): string => (agentPath ? `${agentPath}.${key}` : key);
  const issues: FieldIssue[] = [];
  const bad = (key: string, message: string): number => issues.push({ path: key ? `${path}.${key}` : path, message });
  if (!isObject(ws)) {
    bad('', 'expected { repo, mode, base?, branch?, root?, cleanup?, setup? } or null');
    return issues;
  }
  for (const k of Object.keys(ws)) if (!WS_KEYS.has(k)) bad(k, 'unknown key (expected repo, mode, base, branch, root, cleanup, setup)');
  const absolute = (v: unknown): boolean => typeof v === 'string' && v.startsWith('/') && !v.includes('\0') && v.length <= 4096;
  if (!absolute(ws.repo)) bad('repo', 'expected the absolute path of a git repository');
  if (!(WORKSPACE_MODES as readonly unknown[]).includes(ws.mode)) bad('mode', `expected one of ${WORKSPACE_MODES.join(', ')}`);
  if (ws.mode === 'shared') {
    for (const k of WORKTREE_ONLY) if (ws[k] !== undefined) bad(k, 'only for mode worktree (a shared workspace runs in the repository as it is)');
    if (agent.slots !== 1) issues.push({ path: at('slots'), message: `a shared workspace has one writer: slots must be 1, got ${agent.slots}` });
  }
  if (ws.base !== undefined && !(typeof ws.base === 'string' && ws.base !== '' && !ws.base.startsWith('-') && !/[\s\0]/.test(ws.base) && ws.base.length <= 250)) {
    bad('base', 'expected a branch, tag or commit name');
  }
  if (ws.branch !== undefined) {
    if (typeof ws.branch !== 'string' || !ws.branch.includes('{task}')) bad('branch', 'expected a branch name template holding {task} (and optionally {agent}), such as hive/{agent}/{task}');
    else {
      const unknown = [...ws.branch.matchAll(TEMPLATE_VARS)].map((m) => m[1]).filter((v) => v !== 'agent' && v !== 'task');
      if (unknown.length) bad('branch', `unknown placeholder {${unknown[0]}} (known: {agent}, {task})`);
      else if (!isBranchName(branchName(ws.branch, agent.name, 1))) bad('branch', `${JSON.stringify(branchName(ws.branch, agent.name, 1))} is not a valid git branch name`);
    }
  } else if (ws.mode === 'worktree' && !isBranchName(branchName(DEFAULT_BRANCH_TEMPLATE, agent.name, 1))) {
    bad('branch', `the default branch ${branchName(DEFAULT_BRANCH_TEMPLATE, agent.name, 1)} is not a valid git branch name for this agent name; set a template`);
  }
  if (ws.root !== undefined && !absolute(ws.root)) bad('root', 'expected an absolute directory path');
  if (ws.cleanup !== undefined && !(CLEANUP_POLICIES as readonly unknown[]).includes(ws.cleanup)) bad('cleanup', `expected one of ${CLEANUP_POLICIES.join(', ')}`);
  if (ws.setup !== undefined && !(typeof ws.setup === 'string' && ws.setup.trim() !== '' && ws.setup.length <= 10_000 && !ws.setup.includes('\0'))) bad('setup', 'expected a shell command (1-10000 characters)');
  if (agent.workdir !== null) issues.push({ path: at('workdir'), message: 'an agent with a workspace works in it: leave workdir unset' });
  return issues;
}

/** An attempt's workspace, ready: the engine runs the attempt in `workdir` with `env` added. */
export interface PreparedWorkspace {
  mode: WorkspaceMode;
  agent: string;
  taskId: number;
  /** The repository's top-level directory. */
  repo: string;
  /** The attempt's working directory: the task's worktree, or the repository (shared). */
  workdir: string;
  /** The task's branch (worktree), or the branch checked out in the repository (shared; null when detached). */
  branch: string | null;
  /** The base as configured or resolved (a branch name, or a commit when detached). */
  base: string | null;
  /** The commit the branch started from (worktree), or HEAD when the attempt started (shared). */
  baseCommit: string;
  /** HIVE_WORKTREE, HIVE_BRANCH, HIVE_BASE_COMMIT. */
  env: Record<string, string>;
  cleanup: CleanupPolicy;
  /** False when an existing worktree was reused (a retry). */
  created: boolean;
  logPath: string | null;
}

/** What an attempt left in its workspace: merged into the task's result as `workspace`. */
export interface WorkspaceReport {
  mode: WorkspaceMode;
  worktree: string;
  branch: string | null;
  base: string | null;
  baseCommit: string;
  /** HEAD at the end of the attempt. */
  head: string | null;
  /** Commits from baseCommit to head. */
  commits: number;
  /** `N files changed, +A -D`: the worktree against baseCommit, committed or not (untracked files included, ignored ones not). */
  diffStat: string;
  filesChanged: number;
  insertions: number;
  deletions: number;
  /** Uncommitted changes (tracked or untracked) were left in the worktree. */
  dirty: boolean;
  /** The worktree was removed (cleanup); the branch stays. */
  removed: boolean;
  /** Why the worktree was kept, or what went wrong while reporting. */
  note?: string;
}

/** A Hive worktree found on disk (`hive worktree list`). */
export interface WorktreeEntry {
  path: string;
  /** The repository it belongs to; null when its git metadata is gone. */
  repo: string | null;
  agent: string | null;
  taskId: number | null;
  branch: string | null;
  baseCommit: string | null;
  createdAt: number | null;
  /** Set when the worktree is not usable: its git metadata is missing or unreadable. */
  broken?: string;
}

/** A worktree with what the store knows of its task: `live` while the task may still run in it. */
export interface WorktreeStatus extends WorktreeEntry {
  taskStatus: TaskStatus | null;
  live: boolean;
}

/** Task statuses whose worktree is still needed (the task runs, or waits to run again). */
export const LIVE_TASK_STATUSES: readonly TaskStatus[] = Object.freeze(['pending', 'queued', 'running', 'failed'] as TaskStatus[]);

export interface WorkspaceRequest {
  agent: Agent;
  task: Task;
  attempt: number;
  logPath: string | null;
  /** The attempt's HIVE_* variables (the setup command gets them too). */
  env: Record<string, string>;
  /** The attempt's timeout (0 = none): the setup command gets the same. */
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * The Workspace port (adapter: src/workspaces/manager.ts, real git). Errors: check throws VALIDATION_FAILED or
 * CONFLICT; prepare throws WORKSPACE_FAILED (or the abort's reason); finish never throws.
 */
export interface WorkspacePort {
  /** At registration: paths inside the allowed roots, the repository is a git top level, no other agent on the path. */
  check(spec: AgentSpec, others: readonly Agent[]): Promise<void>;
  /** Before an attempt: creates or reuses the task's worktree (copies .worktreeinclude, runs setup once). */
  prepare(req: WorkspaceRequest): Promise<PreparedWorkspace>;
  /** After an attempt: branch, diff stat, and the cleanup policy applied (`ok`: the attempt succeeded). */
  finish(prep: PreparedWorkspace, ok: boolean): Promise<WorkspaceReport>;
  /** Hive's worktrees under the default root and the roots of `agents`. */
  list(agents: readonly Agent[]): Promise<WorktreeEntry[]>;
  /** Removes a worktree (git worktree remove --force, then prune); its branch stays. */
  remove(entry: WorktreeEntry): Promise<void>;
}

/**
 * A result with the workspace report: merged as `workspace` into a JSON object result; any other result R
 * (an array, a string, none) becomes `{ value: R, workspace }` (`value` absent when there was no result).
 */
export function withWorkspaceResult(result: unknown, report: WorkspaceReport): Record<string, unknown> {
  if (isObject(result)) return { ...result, workspace: report };
  return result === undefined || result === null ? { workspace: report } : { value: result, workspace: report };
}
