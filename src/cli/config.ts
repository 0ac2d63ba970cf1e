import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HiveError, type FieldIssue, fieldError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { checkOptions, resolveOptions, type Options, type ResolvedOptions } from '../core/options.js';
import type { AgentSpec } from '../core/store.js';
import { parseWorkflowDefinition } from '../core/workflow-def.js';
import { PRESET_TOOLS, PRIORITIES, type PresetTool, type RuntimeSpec } from '../core/types.js';
import { DEFAULT_HOOK_TIMEOUT_MS, type HookSpec } from '../core/hooks.js';
import { CLEANUP_POLICIES, WORKSPACE_MODES, workspaceIssues } from '../core/workspace.js';

/**
 * hive.yaml: agents and defaults, validated with zod. Precedence: defaults < hive.yaml < HIVE_* env < flags.
 * Every key is documented in docs/configuration.md.
 */

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 500ms, 30s, 5m or 1h, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
});

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a name: letters, digits, . _ - (max 64, starting with a letter or digit)');
const capability = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/, 'expected a capability name: letters, digits and . _ : / @ + -');
const command = z.union([z.string().min(1), z.array(z.string()).min(1)]);

const limitsSchema = z
  .object({
    timeout: duration.optional(),
    memory_mb: z.number().int().nonnegative().optional(),
    context_tokens: z.number().int().nonnegative().optional(),
    cost_budget_usd: z.number().nonnegative().optional(),
    // watchdogs (0 = off): no output for idle_timeout → IDLE_TIMEOUT; still running exit_grace after the result → HUNG_AFTER_RESULT
    idle_timeout: duration.optional(),
    exit_grace: duration.optional(),
  })
  .strict();

const isPreset = (runtime: string): runtime is PresetTool => (PRESET_TOOLS as readonly string[]).includes(runtime);
/** Options of the coding-agent presets (runtime claude-code, codex, gemini, aider). */
const PRESET_OPTIONS = ['model', 'extra_args', 'permission_mode', 'max_turns', 'binary'] as const;

/** A status hook: a shell command or a webhook URL, run on the listed events (default: every state change). */
const hookSchema = z
  .object({
    command: z.string().min(1).optional(),
    webhook: z.string().regex(/^https?:\/\/\S+$/, 'expected an http:// or https:// URL').optional(),
    events: z.array(z.string().regex(/^[a-z]+\.([a-z_]+|\*)$/, 'expected an event type such as task.completed, or task.*')).max(100).default([]),
    timeout: duration.optional(),
  })
  .strict()
  .refine((h) => (h.command === undefined) !== (h.webhook === undefined), { message: 'give either command or webhook' });

/** A git workspace (docs/workspaces.md); paths are relative to hive.yaml's directory. */
const workspaceSchema = z
  .object({
    repo: z.string().min(1),
    mode: z.enum(WORKSPACE_MODES).default('worktree'),
    base: z.string().min(1).optional(),
    branch: z.string().min(1).optional(),
    root: z.string().min(1).optional(),
    cleanup: z.enum(CLEANUP_POLICIES).optional(),
    setup: z.string().min(1).optional(),
  })
  .strict();

const agentSchema = z
  .object({
    name: name.optional(),
    role: z.string().max(200).optional(),
    capabilities: z.array(capability).max(100).default([]),
    runtime: z.enum(['command', 'worker', 'inline', ...PRESET_TOOLS]).default('command'),
    command: command.optional(),
    model: z.string().min(1).max(200).optional(),
    extra_args: z.array(z.string()).max(100).optional(),
    permission_mode: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'expected a mode name such as acceptEdits, workspace-write or yolo').optional(),
    max_turns: z.number().int().min(1).max(10_000).optional(),
    binary: z.string().min(1).optional(),
    fn: z.string().optional(),
    shell: z.boolean().optional(),
    // command agents and presets: each attempt in its own tmux session (docs/tmux.md)
    tmux: z.boolean().optional(),
    heartbeat: duration.optional(),
    slots: z.number().int().min(1).max(1000).default(1),
    env: z.record(z.string(), z.string()).default({}),
    workdir: z.string().optional(),
    limits: limitsSchema.default({}),
    hooks: z.array(hookSchema).max(100).default([]),
    workspace: workspaceSchema.nullish(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (isPreset(a.runtime)) {
      for (const k of ['command', 'shell', 'heartbeat', 'fn'] as const) {
        if (a[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `not used by runtime ${a.runtime}: it builds its own command (set binary or extra_args)` });
      }
      if (a.max_turns !== undefined && a.runtime !== 'claude-code') ctx.addIssue({ code: 'custom', path: ['max_turns'], message: `only runtime claude-code takes a turn limit` });
      if (a.permission_mode !== undefined && a.runtime === 'aider') ctx.addIssue({ code: 'custom', path: ['permission_mode'], message: 'aider has no permission mode (it runs with --yes-always)' });
    } else {
      for (const k of PRESET_OPTIONS) if (a[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: `only for the runtimes ${PRESET_TOOLS.join(', ')}` });
    }
    if (a.tmux !== undefined && (a.runtime === 'worker' || a.runtime === 'inline')) ctx.addIssue({ code: 'custom', path: ['tmux'], message: `only command agents and the presets run in tmux, not runtime ${a.runtime}` });
    if ((a.runtime === 'command' || a.runtime === 'worker') && a.command === undefined) ctx.addIssue({ code: 'custom', path: ['command'], message: `required for runtime ${a.runtime}` });
    if (a.runtime === 'inline' && !a.fn) ctx.addIssue({ code: 'custom', path: ['fn'], message: 'required for runtime inline (the name of a registered function)' });
  });

export const configSchema = z
  .object({
    data: z.string().optional(),
    durability: z.enum(['full', 'normal']).optional(),
    defaults: z
      .object({
        priority: z.enum(PRIORITIES).optional(),
        max_attempts: z.number().int().min(1).max(100).optional(),
        backoff: duration.optional(),
        backoff_cap: duration.optional(),
        timeout: duration.optional(),
        schedule_timeout: duration.optional(),
      })
      .strict()
      .default({}),
    engine: z
      .object({
        lease: duration.optional(),
        poll: duration.optional(),
        reap_interval: duration.optional(),
        kill_grace: duration.optional(),
        drain: duration.optional(),
        spawner: z.enum(['helper', 'direct']).optional(),
      })
      .strict()
      .default({}),
    hooks: z.array(hookSchema).max(100).default([]),
    // USD per million tokens per model, over the built-in price table (for tools that print no cost)
    prices: z
      .record(
        z.string().min(1).max(200),
        z.object({ input: z.number().nonnegative().optional(), output: z.number().nonnegative().optional(), cache_read: z.number().nonnegative().optional(), cache_write: z.number().nonnegative().optional() }).strict(),
      )
      .default({}),
    // directories agents' workdirs and workspaces must be in (relative to this file); default: this file's directory
    workspace_roots: z.array(z.string().min(1)).max(100).optional(),
    // a list of agents, or a map from name to agent; validated on its own so errors keep their path
    agents: z.unknown().optional(),
    // workflow definitions, each inline or a path to a YAML/JSON file; `hive up` defines them (define() checks each)
    workflows: z
      .array(z.union([z.string().min(1), z.record(z.string(), z.unknown())], { error: 'expected a workflow definition (a map) or the path of a YAML/JSON file holding one' }))
      .max(1000)
      .nullish(),
  })
  .strict();

const agentsList = z.array(agentSchema);
const agentsMap = z.record(name, agentSchema);

export type HiveConfig = z.output<typeof configSchema>;

function issuesOf(err: z.ZodError): FieldIssue[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** A workflow definition from hive.yaml: where it came from (for messages) and the document, not yet checked. */
export interface ConfiguredWorkflow {
  /** `workflows.0`, or `workflows.1 (/abs/path/feature.yaml)`. */
  source: string;
  doc: unknown;
}

export interface LoadedConfig {
  options: ResolvedOptions;
  agents: AgentSpec[];
  workflows: ConfiguredWorkflow[];
  /** Global hooks, then each agent's own (limited to that agent). */
  hooks: HookSpec[];
  /** The file read, or null when there was none. */
  file: string | null;
  /** Absolute directories agents' workdirs and workspaces must be in (the data directory is allowed besides). */
  workspaceRoots: string[];
}

export interface ConfigOverrides {
  config?: string;
  data?: string;
  durability?: string;
}

/** Reads hive.yaml (if present), applies HIVE_* env and flags, and validates everything. Changes nothing. */
export function loadConfig(flags: ConfigOverrides, env: NodeJS.ProcessEnv, cwd = process.cwd()): LoadedConfig {
  const explicit = flags.config || env.HIVE_CONFIG || undefined;
  const file = resolve(cwd, explicit ?? 'hive.yaml');
  let raw: unknown = {};
  if (existsSync(file)) {
    try {
      raw = parseYaml(readFileSync(file, 'utf8')) ?? {};
    } catch (err) {
      throw new HiveError('CONFIG_INVALID', `${file}: not valid YAML: ${(err as Error).message}`, { details: { file, issues: [{ path: '(root)', message: (err as Error).message }] } });
    }
  } else if (explicit) {
    throw new HiveError('CONFIG_INVALID', `config file ${file} does not exist`, { details: { file, issues: [{ path: '(root)', message: 'file not found' }] } });
  }
  const parsed = configSchema.safeParse(raw);
  const rawAgents = parsed.success ? (parsed.data.agents ?? []) : [];
  const agentsParsed = Array.isArray(rawAgents) ? agentsList.safeParse(rawAgents) : rawAgents !== null && typeof rawAgents === 'object' ? agentsMap.safeParse(rawAgents) : null;
  if (!parsed.success || !agentsParsed?.success) {
    const issues = !parsed.success
      ? issuesOf(parsed.error)
      : agentsParsed
        ? issuesOf(agentsParsed.error!).map((i) => ({ path: `agents${i.path ? `.${i.path}` : ''}`, message: i.message }))
        : [{ path: 'agents', message: 'expected a list of agents or a map from agent name to agent' }];
    const first = issues[0];
    throw new HiveError('CONFIG_INVALID', `${existsSync(file) ? file : 'configuration'}: ${first.path || '(root)'}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, { details: { file, issues } });
  }
  const c = parsed.data;
  const base = existsSync(file) ? dirname(file) : cwd;

  const envIssues: FieldIssue[] = [];
  const envDuration = (key: string): number | undefined => {
    const v = env[key];
    if (v === undefined || v === '') return undefined;
    try {
      return parseDuration(v, key);
    } catch {
      envIssues.push({ path: key, message: `expected a duration, got ${JSON.stringify(v)}` });
      return undefined;
    }
  };
  const durability = flags.durability || env.HIVE_DURABILITY || c.durability;
  if (durability !== undefined && durability !== 'full' && durability !== 'normal') envIssues.push({ path: flags.durability ? '--durability' : 'HIVE_DURABILITY', message: `expected full or normal, got ${JSON.stringify(durability)}` });
  const spawner = env.HIVE_SPAWNER || c.engine.spawner;
  if (spawner !== undefined && spawner !== 'helper' && spawner !== 'direct') envIssues.push({ path: 'HIVE_SPAWNER', message: `expected helper or direct, got ${JSON.stringify(spawner)}` });
  const opts: Options = {
    dataDir: resolve(cwd, flags.data || env.HIVE_DATA || (c.data !== undefined ? resolve(base, c.data) : '.hive')),
    durability: durability as 'full' | 'normal' | undefined,
    leaseMs: envDuration('HIVE_LEASE') ?? c.engine.lease,
    pollMs: envDuration('HIVE_POLL') ?? c.engine.poll,
    reapIntervalMs: envDuration('HIVE_REAP_INTERVAL') ?? c.engine.reap_interval,
    killGraceMs: envDuration('HIVE_KILL_GRACE') ?? c.engine.kill_grace,
    drainMs: envDuration('HIVE_DRAIN') ?? c.engine.drain,
    spawner: spawner as 'helper' | 'direct' | undefined,
    prices: Object.fromEntries(Object.entries(c.prices).map(([m, p]) => [m, { input: p.input, output: p.output, cacheRead: p.cache_read, cacheWrite: p.cache_write }])),
    taskDefaults: {
      priority: c.defaults.priority,
      retry: { maxAttempts: c.defaults.max_attempts, backoffMs: c.defaults.backoff, backoffCapMs: c.defaults.backoff_cap },
      timeoutMs: c.defaults.timeout,
      scheduleTimeoutMs: c.defaults.schedule_timeout,
    },
  };
  if (envIssues.length) throw new HiveError('CONFIG_INVALID', `${envIssues[0].path}: ${envIssues[0].message}`, { details: { issues: envIssues } });
  const clean = <T extends object>(o: T): T => JSON.parse(JSON.stringify(o)) as T; // drop undefined so defaults apply
  const options = resolveOptions(clean(opts));
  const bad = checkOptions(options);
  if (bad.length) throw new HiveError('CONFIG_INVALID', `${bad[0].path}: ${bad[0].message}`, { details: { file, issues: bad } });

  const workspaceRoots = (c.workspace_roots ?? ['.']).map((r) => resolve(base, r));
  const agentsData = agentsParsed.data;
  const entries = Array.isArray(agentsData) ? agentsData.map((a, i) => [a.name, a, `agents.${i}`] as const) : Object.entries(agentsData).map(([n, a]) => [a.name ?? n, a, `agents.${n}`] as const);
  const seen = new Set<string>();
  const agents = entries.map(([n, a, path]) => {
    if (!n) throw new HiveError('CONFIG_INVALID', `${path}.name: required`, { details: { file, issues: [{ path: `${path}.name`, message: 'required' }] } });
    if (seen.has(n)) throw new HiveError('CONFIG_INVALID', `${path}.name: agent ${n} is defined twice`, { details: { file, issues: [{ path: `${path}.name`, message: 'duplicate agent name' }] } });
    seen.add(n);
    const spec = toAgentSpec(n, a, base);
    const allowed = [...workspaceRoots, options.dataDir];
    const wsIssues = spec.workspace ? workspaceIssues(spec.workspace, spec, `${path}.workspace`, path) : [];
    const outside = ([[`${path}.workdir`, spec.workdir], [`${path}.workspace.repo`, spec.workspace?.repo], [`${path}.workspace.root`, spec.workspace?.root]] as const)
      .filter(([, p]) => p && !allowed.some((r) => isInside(p, r)))
      .map(([key, p]) => ({ path: key, message: `${p} is outside the allowed workspace roots (${allowed.join(', ')}); add a root to workspace_roots` }));
    const issues = [...wsIssues, ...outside];
    if (issues.length) throw new HiveError('CONFIG_INVALID', `${file}: ${issues[0].path}: ${issues[0].message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, { details: { file, issues } });
    return spec;
  });
  const workflows = (c.workflows ?? []).map((w, i): ConfiguredWorkflow => {
    if (typeof w !== 'string') return { source: `workflows.${i}`, doc: w };
    const path = resolve(base, w);
    return { source: `workflows.${i} (${path})`, doc: readDefinitionFile(path, 'CONFIG_INVALID', `workflows.${i}`) };
  });
  const names = new Map<string, number>();
  workflows.forEach((w, i) => {
    const n = (w.doc as { name?: unknown } | null)?.name;
    if (typeof n !== 'string') return; // define() names the problem
    if (names.has(n)) throw new HiveError('CONFIG_INVALID', `${file}: workflows.${i}: workflow ${n} is defined twice (also workflows.${names.get(n)})`, { details: { file, issues: [{ path: `workflows.${i}.name`, message: 'duplicate workflow name' }] } });
    names.set(n, i);
  });
  const hook = (h: z.output<typeof hookSchema>, agents: string[]): HookSpec => ({
    ...(h.command !== undefined ? { command: h.command } : { webhook: h.webhook! }),
    events: h.events,
    agents,
    timeoutMs: h.timeout ?? DEFAULT_HOOK_TIMEOUT_MS,
  });
  const hooks = [...c.hooks.map((h) => hook(h, [])), ...entries.flatMap(([n, a]) => a.hooks.map((h) => hook(h, [n!])))];
  return { options, agents, workflows, hooks, workspaceRoots, file: existsSync(file) ? file : null };
}

/**
 * Checks the workflow definitions of hive.yaml as define() will (shape, graph, references), before anything is
 * opened or changed: the first bad one throws its own code (VALIDATION_FAILED, WORKFLOW_CYCLE, ...), its
 * message prefixed by where it came from.
 */
export function checkWorkflows(workflows: ConfiguredWorkflow[]): void {
  for (const w of workflows) {
    try {
      parseWorkflowDefinition(w.doc);
    } catch (err) {
      throw fromWorkflow(w, err);
    }
  }
}

/** An error about a configured workflow, its message prefixed by where the workflow came from. */
export function fromWorkflow(w: ConfiguredWorkflow, err: unknown): unknown {
  if (!(err instanceof HiveError)) return err;
  return new HiveError(err.code, `${w.source}: ${err.message}`, { details: { ...err.details, source: w.source }, cause: err });
}

/**
 * Reads a workflow definition file (YAML, or JSON, which is YAML too). A missing or unreadable file, or one
 * that does not parse, is `code` (VALIDATION_FAILED for `hive workflow add`, CONFIG_INVALID from hive.yaml).
 */
export function readDefinitionFile(path: string, code: 'VALIDATION_FAILED' | 'CONFIG_INVALID', field = 'file'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new HiveError(code, `${field}: cannot read ${path}: ${why}`, { details: { file: path, issues: [{ path: field, message: why }] } });
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new HiveError(code, `${field}: ${path} is not valid YAML or JSON: ${(err as Error).message}`, { details: { file: path, issues: [{ path: field, message: 'not valid YAML or JSON' }] } });
  }
}

type AgentConfig = z.output<typeof agentSchema>;

/** `p` is `root` or inside it (by path; the engine checks again with symlinks resolved). */
function isInside(p: string, root: string): boolean {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function toAgentSpec(agentName: string, a: AgentConfig, base: string): AgentSpec {
  const runtime: RuntimeSpec = isPreset(a.runtime)
    ? {
        kind: a.runtime,
        ...(a.model !== undefined ? { model: a.model } : {}),
        ...(a.extra_args !== undefined ? { extraArgs: a.extra_args } : {}),
        ...(a.permission_mode !== undefined ? { permissionMode: a.permission_mode } : {}),
        ...(a.max_turns !== undefined ? { maxTurns: a.max_turns } : {}),
        // a path is relative to hive.yaml's directory, like workdir; a bare name is looked up on PATH
        ...(a.binary !== undefined ? { binary: a.binary.includes('/') ? resolve(base, a.binary) : a.binary } : {}),
        ...(a.tmux !== undefined ? { tmux: a.tmux } : {}),
      }
    : a.runtime === 'inline'
      ? { kind: 'inline', fn: a.fn! }
      : a.runtime === 'worker'
        ? { kind: 'worker', command: a.command!, ...(a.heartbeat !== undefined ? { heartbeatMs: a.heartbeat } : {}) }
        : { kind: 'command', command: a.command!, ...(a.shell !== undefined ? { shell: a.shell } : {}), ...(a.tmux !== undefined ? { tmux: a.tmux } : {}) };
  return {
    name: agentName,
    role: a.role ?? '',
    capabilities: a.capabilities,
    runtime,
    slots: a.slots,
    env: a.env,
    workdir: a.workdir ? resolve(base, a.workdir) : null,
    ...(a.workspace
      ? {
          workspace: {
            repo: resolve(base, a.workspace.repo),
            mode: a.workspace.mode,
            ...(a.workspace.base !== undefined ? { base: a.workspace.base } : {}),
            ...(a.workspace.branch !== undefined ? { branch: a.workspace.branch } : {}),
            ...(a.workspace.root !== undefined ? { root: resolve(base, a.workspace.root) } : {}),
            ...(a.workspace.cleanup !== undefined ? { cleanup: a.workspace.cleanup } : {}),
            ...(a.workspace.setup !== undefined ? { setup: a.workspace.setup } : {}),
          },
        }
      : {}),
    limits: {
      timeoutMs: a.limits.timeout ?? 0,
      memoryMb: a.limits.memory_mb ?? 0,
      contextTokens: a.limits.context_tokens ?? 0,
      costBudgetUsd: a.limits.cost_budget_usd ?? 0,
      ...(a.limits.idle_timeout !== undefined ? { idleTimeoutMs: a.limits.idle_timeout } : {}),
      ...(a.limits.exit_grace !== undefined ? { exitGraceMs: a.limits.exit_grace } : {}),
    },
  };
}

/** Validates one agent given on the command line (`hive agent add`), with the same rules as hive.yaml. */
export function agentFromInput(input: Record<string, unknown>, base: string): AgentSpec {
  const parsed = agentSchema.safeParse(input);
  if (!parsed.success) {
    const issues = issuesOf(parsed.error);
    throw new HiveError('VALIDATION_FAILED', `invalid agent: ${issues[0].path || '(root)'}: ${issues[0].message}`, { details: { issues } });
  }
  const n = name.safeParse(input.name);
  if (!n.success) throw fieldError('name', n.error.issues[0].message, `invalid agent: name: ${n.error.issues[0].message}`);
  return toAgentSpec(n.data, parsed.data, base);
}
