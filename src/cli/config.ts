import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HiveError, type FieldIssue, fieldError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { checkOptions, resolveOptions, type Options, type ResolvedOptions } from '../core/options.js';
import type { AgentSpec } from '../core/store.js';
import { PRIORITIES, type RuntimeSpec } from '../core/types.js';

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
  })
  .strict();

const agentSchema = z
  .object({
    name: name.optional(),
    role: z.string().max(200).optional(),
    capabilities: z.array(capability).max(100).default([]),
    runtime: z.enum(['command', 'worker', 'inline']).default('command'),
    command: command.optional(),
    fn: z.string().optional(),
    shell: z.boolean().optional(),
    heartbeat: duration.optional(),
    slots: z.number().int().min(1).max(1000).default(1),
    env: z.record(z.string(), z.string()).default({}),
    workdir: z.string().optional(),
    limits: limitsSchema.default({}),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.runtime !== 'inline' && a.command === undefined) ctx.addIssue({ code: 'custom', path: ['command'], message: `required for runtime ${a.runtime}` });
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
      .object({ lease: duration.optional(), poll: duration.optional(), reap_interval: duration.optional(), kill_grace: duration.optional(), drain: duration.optional() })
      .strict()
      .default({}),
    // a list of agents, or a map from name to agent; validated on its own so errors keep their path
    agents: z.unknown().optional(),
  })
  .strict();

const agentsList = z.array(agentSchema);
const agentsMap = z.record(name, agentSchema);

export type HiveConfig = z.output<typeof configSchema>;

function issuesOf(err: z.ZodError): FieldIssue[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

export interface LoadedConfig {
  options: ResolvedOptions;
  agents: AgentSpec[];
  /** The file read, or null when there was none. */
  file: string | null;
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
  const opts: Options = {
    dataDir: resolve(cwd, flags.data || env.HIVE_DATA || (c.data !== undefined ? resolve(base, c.data) : '.hive')),
    durability: durability as 'full' | 'normal' | undefined,
    leaseMs: envDuration('HIVE_LEASE') ?? c.engine.lease,
    pollMs: envDuration('HIVE_POLL') ?? c.engine.poll,
    reapIntervalMs: envDuration('HIVE_REAP_INTERVAL') ?? c.engine.reap_interval,
    killGraceMs: envDuration('HIVE_KILL_GRACE') ?? c.engine.kill_grace,
    drainMs: envDuration('HIVE_DRAIN') ?? c.engine.drain,
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

  const agentsData = agentsParsed.data;
  const entries = Array.isArray(agentsData) ? agentsData.map((a, i) => [a.name, a, `agents.${i}`] as const) : Object.entries(agentsData).map(([n, a]) => [a.name ?? n, a, `agents.${n}`] as const);
  const seen = new Set<string>();
  const agents = entries.map(([n, a, path]) => {
    if (!n) throw new HiveError('CONFIG_INVALID', `${path}.name: required`, { details: { file, issues: [{ path: `${path}.name`, message: 'required' }] } });
    if (seen.has(n)) throw new HiveError('CONFIG_INVALID', `${path}.name: agent ${n} is defined twice`, { details: { file, issues: [{ path: `${path}.name`, message: 'duplicate agent name' }] } });
    seen.add(n);
    return toAgentSpec(n, a, base);
  });
  return { options, agents, file: existsSync(file) ? file : null };
}

type AgentConfig = z.output<typeof agentSchema>;

export function toAgentSpec(agentName: string, a: AgentConfig, base: string): AgentSpec {
  const runtime: RuntimeSpec =
    a.runtime === 'inline'
      ? { kind: 'inline', fn: a.fn! }
      : a.runtime === 'worker'
        ? { kind: 'worker', command: a.command!, ...(a.heartbeat !== undefined ? { heartbeatMs: a.heartbeat } : {}) }
        : { kind: 'command', command: a.command!, ...(a.shell !== undefined ? { shell: a.shell } : {}) };
  return {
    name: agentName,
    role: a.role ?? '',
    capabilities: a.capabilities,
    runtime,
    slots: a.slots,
    env: a.env,
    workdir: a.workdir ? resolve(base, a.workdir) : null,
    limits: {
      timeoutMs: a.limits.timeout ?? 0,
      memoryMb: a.limits.memory_mb ?? 0,
      contextTokens: a.limits.context_tokens ?? 0,
      costBudgetUsd: a.limits.cost_budget_usd ?? 0,
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
