/**
 * `npm run bench`: Hive's figures as JSON lines (one object per benchmark). Not a test: nothing here
 * asserts a time. Each figure is the median of `HIVE_BENCH_RUNS` runs (default 3) where a run is cheap.
 * Run on a quiet machine; compare ratios measured in the same run rather than absolute numbers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHive, type CreateHiveOptions } from '../src/index.js';
import type { Orchestrator } from '../src/engine/orchestrator.js';
import type { AgentSpec } from '../src/core/store.js';
import type { RuntimeSpec } from '../src/core/types.js';
import type { SpawnerMode } from '../src/core/runtime.js';
import { spawner } from '../src/runtimes/spawner/client.js';
import { bareLoop } from './bare-loop.js';
import { claimScaling } from './claim-scaling.js';
import { apiLatency, sseRate } from './api.js';
import { workflowScale } from './workflow.js';

const RUNS = Number(process.env.HIVE_BENCH_RUNS ?? 3);
const only = process.argv.slice(2);

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

function spec(name: string, runtime: RuntimeSpec, slots: number): AgentSpec {
  return { name, role: '', capabilities: [], runtime, slots, env: {}, workdir: null, limits: { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 } };
}

async function withHive<T>(opts: CreateHiveOptions, fn: (hive: Orchestrator, dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'hive-bench-'));
  const hive = await createHive({ dataDir: join(dir, 'data'), onError: (e) => process.stderr.write(`bench: ${e}\n`), ...opts });
  try {
    return await fn(hive, dir);
  } finally {
    await hive.close({ drainMs: 0 });
    rmSync(dir, { recursive: true, force: true });
  }
}

async function waitCompleted(hive: Orchestrator, n: number): Promise<void> {
  while (hive.stats.completed + hive.stats.failed < n) await new Promise((r) => setTimeout(r, 2));
}

/** Enqueue 20,000 no-op tasks, then process them with an inline agent with 50 slots, durable SQLite. */
async function noop(n = 20_000): Promise<{ e2e: number; process: number; enqueue: number }> {
  return withHive({ inline: { noop: () => undefined } }, async (hive) => {
    await hive.registerAgent(spec('noop', { kind: 'inline', fn: 'noop' }, 50));
    const t0 = performance.now();
    for (let i = 0; i < n; i += 1000) await hive.submit(Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ title: `noop ${i + j}` })));
    const t1 = performance.now();
    await hive.start();
    await waitCompleted(hive, n);
    const t2 = performance.now();
    return { enqueue: n / ((t1 - t0) / 1000), process: n / ((t2 - t1) / 1000), e2e: n / ((t2 - t0) / 1000) };
  });
}

/** Enqueue → start latency on an idle orchestrator, one task at a time. */
async function latency(n = 500): Promise<number[]> {
  let started: (() => void) | null = null;
  return withHive({ inline: { mark: () => void started?.() } }, async (hive) => {
    await hive.registerAgent(spec('mark', { kind: 'inline', fn: 'mark' }, 1));
    await hive.start();
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const seen = new Promise<void>((r) => (started = r));
      const t0 = performance.now();
      await hive.enqueue({ title: `lat ${i}` });
      await seen;
      out.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 1));
    }
    return out;
  });
}

/** Raw spawn rate of /bin/true with `concurrency` in flight; `pipes` also reads stdout/stderr (as any runtime that logs must). */
async function rawSpawn(n: number, concurrency: number, pipes = false): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      await new Promise<void>((resolve) => {
        const c = spawn('/bin/true', [], { stdio: pipes ? ['ignore', 'pipe', 'pipe'] : 'ignore' });
        if (pipes) {
          c.stdout!.resume();
          c.stderr!.resume();
        }
        c.on('close', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return n / ((performance.now() - t0) / 1000);
}

async function commandTrue(mode: SpawnerMode, n = 2_000, slots = 8): Promise<number> {
  return withHive({ spawner: mode }, async (hive) => {
    await hive.registerAgent(spec('true', { kind: 'command', command: ['/bin/true'] }, slots));
    await hive.submit(Array.from({ length: n }, (_, i) => ({ title: `true ${i}` })));
    const t0 = performance.now();
    await hive.start();
    await waitCompleted(hive, n);
    return n / ((performance.now() - t0) / 1000);
  });
}

/** Resident memory of another process (the spawner helper), from /proc. */
function rssOfMb(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

/** Orchestrator RSS while 100 command agents each run `sleep 5`, and the spawner helper's. */
async function rss100(): Promise<{ rssMb: number; baselineMb: number; running: number; spawnerMb: number | null }> {
  return withHive({ killGraceMs: 200 }, async (hive) => {
    for (let i = 0; i < 100; i++) await hive.registerAgent(spec(`sleeper${i}`, { kind: 'command', command: ['sleep', '5'] }, 1));
    global.gc?.();
    const baselineMb = process.memoryUsage().rss / 2 ** 20;
    await hive.submit(Array.from({ length: 100 }, (_, i) => ({ title: `sleep ${i}` })));
    await hive.start();
    const deadline = Date.now() + 20_000;
    while (hive.runningNow().length < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 500));
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    return { rssMb, baselineMb, running: hive.runningNow().length, spawnerMb: rssOfMb(spawner.pid) };
  });
}

async function main(): Promise<void> {
  const want = (name: string): boolean => only.length === 0 || only.includes(name);
  const env = { node: process.version, runs: RUNS, cpus: (await import('node:os')).cpus().length };
  emit({ bench: 'environment', ...env });

  // first, while the heap is small: later benchmarks leave memory the process does not give back
  if (want('rss')) {
    const r = await rss100();
    emit({ bench: 'rss_100_process_agents_mb', agents: 100, running_at_measure: r.running, rss_mb: round(r.rssMb), spawner_helper_rss_mb: r.spawnerMb === null ? null : round(r.spawnerMb), baseline_mb_before_start: round(r.baselineMb), target_mb: 300 });
  }
  let noopE2e = 0;
  if (want('noop')) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await noop());
    noopE2e = median(runs.map((r) => r.e2e));
    emit({ bench: 'noop_tasks_per_s', tasks: 20_000, slots: 50, durability: 'full', e2e_median: round(noopE2e), process_median: round(median(runs.map((r) => r.process))), enqueue_median: round(median(runs.map((r) => r.enqueue))), runs: runs.map((r) => round(r.e2e)), target_e2e: 40_000 });
  }
  if (want('bare')) {
    const bare = [];
    for (let i = 0; i < RUNS; i++) bare.push(bareLoop(20_000, 100));
    const b = median(bare);
    emit({ bench: 'bare_sqlite_loop_tasks_per_s', tasks: 20_000, batch: 100, durability: 'full', median: round(b), runs: bare.map((x) => round(x)), ...(noopE2e ? { hive_ratio: round(noopE2e / b, 2), target_ratio: 0.5 } : {}) });
  }
  if (want('latency')) {
    const lat = await latency();
    emit({ bench: 'enqueue_to_start_latency_ms', tasks: lat.length, p50: round(percentile(lat, 50), 3), p99: round(percentile(lat, 99), 3), target_p50: 1, target_p99: 3 });
  }
  if (want('command')) {
    const hiveRates = [];
    const directRates = [];
    const rawRates = [];
    const pipedRates = [];
    for (let i = 0; i < RUNS; i++) {
      rawRates.push(await rawSpawn(2_000, 8));
      pipedRates.push(await rawSpawn(2_000, 8, true));
      hiveRates.push(await commandTrue('helper'));
      directRates.push(await commandTrue('direct'));
    }
    const h = median(hiveRates);
    const r = median(rawRates);
    const p = median(pipedRates);
    const d = median(directRates);
    emit({
      bench: 'command_true_tasks_per_s',
      tasks: 2_000,
      slots: 8,
      hive_median: round(h),
      raw_spawn_median: round(r),
      raw_spawn_piped_median: round(p),
      ratio: round(h / r, 2),
      ratio_to_piped: round(h / p, 2),
      target_ratio: 0.7,
      // the same with engine.spawner: direct (the orchestrator forks the programs itself)
      direct_spawner_median: round(d),
      direct_ratio: round(d / r, 2),
      runs: { helper: hiveRates.map((x) => round(x)), direct: directRates.map((x) => round(x)), raw: rawRates.map((x) => round(x)) },
    });
  }
  if (want('api')) {
    emit({ bench: 'api_latency_ms', ...(await apiLatency(200, 10)), target_p99_ms: 20 });
  }
  if (want('sse')) {
    emit({ bench: 'sse_events_per_s', tasks: 10_000, ...(await sseRate(10_000)) });
  }
  if (want('claim')) {
    emit({ bench: 'claim_time_ms', ...(await claimScaling([1_000, 1_000_000])), target_ratio: 1.5 });
  }
  if (want('workflow')) {
    emit({ bench: 'workflow_1000_steps', ...(await workflowScale(RUNS)) });
  }
}

await main();
