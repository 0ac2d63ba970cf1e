import type { FieldIssue } from './errors.js';
import type { Priority, RetryPolicy } from './types.js';
import type { PriceOverrides, SpawnerMode } from './runtime.js';

/**
 * Orchestrator options. Defaults live here and only here; precedence (applied by the CLI's config loader)
 * is defaults < hive.yaml < HIVE_* environment < command-line flags. See docs/configuration.md.
 */
export interface TaskDefaults {
  priority: Priority;
  retry: RetryPolicy;
  /** Run timeout for tasks that set none and whose agent sets none (0 = none). */
  timeoutMs: number;
  /** 0 = wait forever. */
  scheduleTimeoutMs: number;
}

export interface ResolvedOptions {
  dataDir: string;
  /** `full`: fsync every commit (survives power loss). `normal`: WAL without fsync per commit (survives a process crash, may lose the last commits on power loss). */
  durability: 'full' | 'normal';
  /** A running attempt's lease; renewed every leaseMs/3 while the attempt runs. */
  leaseMs: number;
  /** How often timers run: retry promotion, changes made by other processes, a claim retry when slots are free. */
  pollMs: number;
  /** How often expired leases are reaped and schedule timeouts checked. */
  reapIntervalMs: number;
  /** After SIGTERM, how long a process group gets before SIGKILL. */
  killGraceMs: number;
  /** How long `stop()` waits for running attempts before it aborts them. */
  drainMs: number;
  /** Bytes of stdout kept as a task's output when it prints no JSON result. */
  outputTailBytes: number;
  /** Model prices over the built-in table (see runtimes/presets/prices.ts). */
  prices: PriceOverrides;
  /** Who forks process agents' programs: a helper process beside the orchestrator, or the orchestrator itself. */
  spawner: SpawnerMode;
  taskDefaults: TaskDefaults;
}

export type Options = Partial<Omit<ResolvedOptions, 'taskDefaults'>> & {
  taskDefaults?: Partial<Omit<TaskDefaults, 'retry'>> & { retry?: Partial<RetryPolicy> };
};

export const DEFAULT_OPTIONS: ResolvedOptions = Object.freeze({
  dataDir: '.hive',
  durability: 'full',
  leaseMs: 30_000,
  pollMs: 50,
  reapIntervalMs: 1_000,
  killGraceMs: 5_000,
  drainMs: 30_000,
  outputTailBytes: 4_096,
  prices: Object.freeze({}),
  spawner: 'helper',
  taskDefaults: Object.freeze({
    priority: 'medium',
    retry: Object.freeze({ maxAttempts: 3, backoffMs: 1_000, backoffCapMs: 300_000 }),
    timeoutMs: 0,
    scheduleTimeoutMs: 86_400_000,
  }),
}) as ResolvedOptions;

export function resolveOptions(opts: Options = {}): ResolvedOptions {
  const d = DEFAULT_OPTIONS;
  const td = opts.taskDefaults ?? {};
  return {
    dataDir: opts.dataDir ?? d.dataDir,
    durability: opts.durability ?? d.durability,
    leaseMs: opts.leaseMs ?? d.leaseMs,
    pollMs: opts.pollMs ?? d.pollMs,
    reapIntervalMs: opts.reapIntervalMs ?? d.reapIntervalMs,
    killGraceMs: opts.killGraceMs ?? d.killGraceMs,
    drainMs: opts.drainMs ?? d.drainMs,
    outputTailBytes: opts.outputTailBytes ?? d.outputTailBytes,
    prices: opts.prices ?? d.prices,
    spawner: opts.spawner ?? d.spawner,
    taskDefaults: {
      priority: td.priority ?? d.taskDefaults.priority,
      retry: { ...d.taskDefaults.retry, ...(td.retry ?? {}) },
      timeoutMs: td.timeoutMs ?? d.taskDefaults.timeoutMs,
      scheduleTimeoutMs: td.scheduleTimeoutMs ?? d.taskDefaults.scheduleTimeoutMs,
    },
  };
}

/** Lower bounds below which the engine cannot work (a zero lease fails every attempt, a zero poll spins). */
export const OPTION_MINIMUMS = Object.freeze({ leaseMs: 100, pollMs: 1, reapIntervalMs: 10 });

/** Problems with resolved options, keyed by their hive.yaml path. */
export function checkOptions(o: ResolvedOptions): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const keys = { leaseMs: 'engine.lease', pollMs: 'engine.poll', reapIntervalMs: 'engine.reap_interval' } as const;
  for (const [k, path] of Object.entries(keys) as [keyof typeof OPTION_MINIMUMS, string][]) {
    if (!(o[k] >= OPTION_MINIMUMS[k])) issues.push({ path, message: `must be at least ${OPTION_MINIMUMS[k]}ms, got ${o[k]}ms` });
  }
  if (o.leaseMs <= o.reapIntervalMs) issues.push({ path: 'engine.lease', message: `must be longer than engine.reap_interval (${o.reapIntervalMs}ms)` });
  return issues;
}
