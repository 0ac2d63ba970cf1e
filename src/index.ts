/**
 * Hive's public API: createHive() opens a data directory and returns the one Orchestrator; the types and
 * errors below are what callers see. This is a composition root: it picks the concrete adapters.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { checkOptions, resolveOptions, type Options } from './core/options.js';
import { validationError } from './core/errors.js';
import { Orchestrator } from './engine/orchestrator.js';
import { defaultRuntimes } from './runtimes/index.js';
import type { InlineFn } from './runtimes/inline/index.js';
import { DEFAULT_ENV_ALLOW, filterEnv, findProcessesWithEnv, isProcessAlive, readPidStart, terminateGroup } from './runtimes/process.js';
import { openSqliteStore } from './stores/sqlite/store.js';
import type { ProcessControl, RuntimeFactory } from './core/runtime.js';
import type { HookSpec } from './core/hooks.js';
import { createHookExecutor } from './hooks/executor.js';
import { WorkspaceManager } from './workspaces/manager.js';

export { Orchestrator } from './engine/orchestrator.js';
export { HiveError, ERROR_CODES, type ErrorCode } from './core/errors.js';
export type { Task, Agent, Attempt, HiveEvent, Priority, TaskStatus, AgentStatus, Usage, RuntimeSpec } from './core/types.js';
export type { TaskInput } from './core/task-input.js';
export type { AgentSpec, Store } from './core/store.js';
export type { AgentRuntime, RuntimeFactory, RunRequest, RunOutcome, RuntimeEvent } from './core/runtime.js';
export type { Options, ResolvedOptions } from './core/options.js';
export type { InlineFn } from './runtimes/inline/index.js';
export type { WorkspaceSpec, WorkspaceReport, WorktreeStatus } from './core/workspace.js';

export const processControl: ProcessControl = {
  isAlive: isProcessAlive,
  terminateGroup,
  findByEnv: findProcessesWithEnv,
  kill: (pid) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  },
};

export interface CreateHiveOptions extends Options {
  /** Functions for agents with `runtime: { kind: 'inline', fn: NAME }`. */
  inline?: Record<string, InlineFn>;
  /** Extra or replacement runtimes by kind. */
  runtimes?: Record<string, RuntimeFactory>;
  /** Randomness for backoff jitter. */
  random?: () => number;
  onError?: (err: unknown) => void;
  /** Environment the agents' base environment is filtered from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Status hooks (commands or webhooks) run on state changes while the orchestrator runs. */
  hooks?: HookSpec[];
  /**
   * Directories agents' workdirs and workspaces (repo, root) must be in (absolute; the data directory is always
   * allowed). Default null: no restriction. The CLI sets hive.yaml's `workspace_roots` (default: its directory).
   */
  workspaceRoots?: string[] | null;
}

/** Opens (creating and migrating if needed) the SQLite store in `dataDir` and builds the orchestrator. Call start() to run it. */
export async function createHive(opts: CreateHiveOptions = {}): Promise<Orchestrator> {
  const options = resolveOptions({ ...opts, dataDir: resolve(opts.dataDir ?? '.hive') });
  const bad = checkOptions(options);
  if (bad.length) throw validationError(bad, 'options');
  const store = await openSqliteStore(join(options.dataDir, 'hive.db'), { durability: options.durability, random: opts.random, lockLingerMs: options.killGraceMs + 2_000 });
  // every agent process carries HIVE_DATA_DIR: crash recovery finds orphans by it
  const baseEnv = { ...filterEnv(opts.env ?? process.env, DEFAULT_ENV_ALLOW), HIVE_DATA_DIR: options.dataDir };
  return new Orchestrator({
    store,
    options,
    runtimes: { ...defaultRuntimes(opts.inline ?? {}), ...(opts.runtimes ?? {}) },
    processes: processControl,
    node: { id: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`, pid: process.pid, pidStart: readPidStart(process.pid), host: hostname() },
    baseEnv,
    onError: opts.onError,
    hooks: opts.hooks?.length ? { specs: opts.hooks, executor: createHookExecutor(baseEnv) } : undefined,
    workspaces: new WorkspaceManager({ dataDir: options.dataDir, roots: opts.workspaceRoots ? opts.workspaceRoots.map((r) => resolve(r)) : null, baseEnv, killGraceMs: options.killGraceMs }),
  });
}
