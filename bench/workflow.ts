import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHive } from '../src/index.js';
import type { Orchestrator } from '../src/engine/orchestrator.js';
import type { Task } from '../src/core/types.js';
import type { TaskInput } from '../src/core/task-input.js';

/**
 * Workflow scale: a run of 1,000 no-op steps — `root`, 899 steps that need only root (the wide fan-out) and a
 * chain of 100 after root (c1 needs root, c2 needs c1, ...) — on an inline agent with 50 slots, durable SQLite.
 * Measured from execute() to the run completed, against the same DAG submitted as 1,000 plain tasks with
 * dependencies (one submit with refs) on the same agent. The difference is what the workflow layer costs.
 *
 * The end is detected by polling the scheduler's in-memory counters every millisecond (stats.completed is
 * counted after the commit that ends the task, which also ends the run): an event subscription would read
 * every event back from the store on the same thread and slow down what it measures.
 */

const WIDE = 899;
const CHAIN = 100;
const STEPS = 1 + WIDE + CHAIN;
const SLOTS = 50;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

/** The workflow definition: root, w1..w899 (need root), c1..c100 (a chain after root). */
function definition(): Record<string, unknown> {
  const steps: Record<string, unknown> = { root: { prompt: 'root' } };
  for (let i = 1; i <= WIDE; i++) steps[`w${i}`] = { needs: ['root'], prompt: `w${i}` };
  for (let i = 1; i <= CHAIN; i++) steps[`c${i}`] = { needs: [i === 1 ? 'root' : `c${i - 1}`], prompt: `c${i}` };
  return { name: 'bench', steps };
}

/** The same DAG as plain tasks. */
function plainTasks(): TaskInput[] {
  const out: TaskInput[] = [{ ref: 'root', title: 'root' }];
  for (let i = 1; i <= WIDE; i++) out.push({ ref: `w${i}`, title: `w${i}`, dependsOn: ['root'] });
  for (let i = 1; i <= CHAIN; i++) out.push({ ref: `c${i}`, title: `c${i}`, dependsOn: [i === 1 ? 'root' : `c${i - 1}`] });
  return out;
}

interface Sample {
  createMs: number;
  totalMs: number;
  /** Median time between the starts of consecutive chain steps. */
  chainHopMs: number;
  /** From the start of c1 to the start of c100, divided by 99 (the chain's own pace, including waits for slots). */
  chainMs: number;
  /** From the start of root to the start of w1: root's end releasing 999 steps (the workflow creates their tasks then). */
  fanOutMs: number;
}

async function once(kind: 'workflow' | 'plain'): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'hive-bench-wf-'));
  const chainStart = new Array<number>(CHAIN + 1).fill(0);
  let rootStart = 0;
  let w1Start = 0;
  const noop = (t: Task): undefined => {
    const key = t.step ?? t.title;
    if (key.charCodeAt(0) === 99 /* c */) chainStart[Number(key.slice(1))] = performance.now();
    else if (key === 'root') rootStart = performance.now();
    else if (key === 'w1') w1Start = performance.now();
    return undefined;
  };
  const hive: Orchestrator = await createHive({ dataDir: join(dir, 'data'), inline: { noop }, onError: (e) => process.stderr.write(`bench: ${e}\n`) });
  try {
    await hive.registerAgent({ name: 'noop', role: '', capabilities: [], runtime: { kind: 'inline', fn: 'noop' }, slots: SLOTS, env: {}, workdir: null, limits: { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 } });
    if (kind === 'workflow') await hive.workflows.define(definition());
    const tasks = kind === 'plain' ? plainTasks() : [];
    await hive.start();
    const t0 = performance.now();
    let runId = 0;
    if (kind === 'workflow') runId = (await hive.workflows.execute('bench')).id;
    else await hive.submit(tasks);
    const t1 = performance.now();
    while (hive.stats.completed + hive.stats.failed < STEPS) await new Promise((r) => setTimeout(r, 1));
    const t2 = performance.now();
    if (hive.stats.failed) throw new Error(`${hive.stats.failed} tasks failed`);
    if (kind === 'workflow') {
      const run = await hive.workflows.getRun(runId);
      if (run.status !== 'completed' || run.progress.completed !== STEPS) throw new Error(`run ${runId} is ${run.status}: ${JSON.stringify(run.progress)}`);
    }
    const hops = chainStart.slice(2).map((t, i) => t - chainStart[i + 1]);
    return { createMs: t1 - t0, totalMs: t2 - t0, chainHopMs: median(hops), chainMs: (chainStart[CHAIN] - chainStart[1]) / (CHAIN - 1), fanOutMs: w1Start - rootStart };
  } finally {
    await hive.close({ drainMs: 0 });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Alternates plain and workflow repetitions (after one warm-up of each) and returns the medians. */
export async function workflowScale(reps: number): Promise<Record<string, unknown>> {
  await once('plain');
  await once('workflow');
  const wf: Sample[] = [];
  const plain: Sample[] = [];
  for (let i = 0; i < reps; i++) {
    plain.push(await once('plain'));
    wf.push(await once('workflow'));
  }
  const m = (xs: Sample[], k: keyof Sample): number => median(xs.map((x) => x[k]));
  const wfTotal = m(wf, 'totalMs');
  const plainTotal = m(plain, 'totalMs');
  return {
    steps: STEPS,
    wide: WIDE,
    chain: CHAIN,
    slots: SLOTS,
    durability: 'full',
    unit: 'ms',
    workflow_create_ms: round(m(wf, 'createMs')),
    workflow_total_ms: round(wfTotal),
    workflow_per_step_ms: round(wfTotal / STEPS, 3),
    workflow_chain_hop_ms: round(m(wf, 'chainHopMs'), 3),
    workflow_chain_ms_per_step: round(m(wf, 'chainMs'), 3),
    workflow_fan_out_ms: round(m(wf, 'fanOutMs')),
    plain_submit_ms: round(m(plain, 'createMs')),
    plain_total_ms: round(plainTotal),
    plain_per_step_ms: round(plainTotal / STEPS, 3),
    plain_chain_hop_ms: round(m(plain, 'chainHopMs'), 3),
    plain_chain_ms_per_step: round(m(plain, 'chainMs'), 3),
    plain_fan_out_ms: round(m(plain, 'fanOutMs')),
    overhead_per_step_ms: round((wfTotal - plainTotal) / STEPS, 3),
    ratio: round(wfTotal / plainTotal),
    runs_workflow_total_ms: wf.map((x) => round(x.totalMs, 1)),
    runs_plain_total_ms: plain.map((x) => round(x.totalMs, 1)),
    target_overhead_per_step_ms: 1,
  };
}
