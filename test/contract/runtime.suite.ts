import assert from 'node:assert/strict';
import { LazyAbort } from '../../src/core/abort.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { HiveError } from '../../src/core/errors.js';
import type { AgentRuntime, RunOutcome, RunRequest, RuntimeEvent, RuntimeFactory, RuntimeHost, RuntimeSettings } from '../../src/core/runtime.js';
import { ZERO_USAGE, type Agent, type RuntimeSpec, type Task, type Usage } from '../../src/core/types.js';
import { filterEnv, isProcessAlive } from '../../src/runtimes/process.js';

/**
 * The AgentRuntime contract: behaviours every runtime must show, run unchanged against each one. A target
 * supplies agents that behave as named:
 * - `ok`: reports progress {pct: 50, message: 'half'} and usage {10, 5, 0.01}, then succeeds with {echo: prompt};
 * - `fail`: fails with a message containing "boom";
 * - `hang`: never finishes by itself (and may ignore a cooperative cancel).
 * Helpers for the runtime-specific tests are exported too.
 */

export type Behaviour = 'ok' | 'fail' | 'hang';

export interface RuntimeTarget {
  spec: RuntimeSpec;
  factory: RuntimeFactory;
}

/** Fake agents live in the source tree (tsc copies no .mjs/.sh); this file runs from dist/test/contract/. */
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/agents/', import.meta.url));
export const fixture = (name: string): string => join(FIXTURES, name);
export const NODE = process.execPath;

export const SETTINGS: RuntimeSettings = { killGraceMs: 200, outputTailBytes: 4096, baseEnv: filterEnv(process.env) };

/** A prompt no shell may interpret. */
export const HOSTILE_PROMPT = `it's "quoted" $(echo EXPANDED) \`echo TICKED\` ; echo INJECTED & * \\ \n$HOME {agent}`;

export function makeAgent(runtime: RuntimeSpec, over: Partial<Agent> = {}): Agent {
  return {
    id: 1,
    name: 'tester',
    role: 'test',
    capabilities: [],
    runtime,
    slots: 4,
    env: {},
    workdir: null,
    limits: { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 },
    status: 'active',
    running: 0,
    done: 0,
    failed: 0,
    recentFailures: 0,
    usage: ZERO_USAGE,
    heartbeatAt: null,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

let nextTaskId = 1;

export function makeTask(over: Partial<Task> = {}): Task {
  return {
    id: nextTaskId++,
    title: 'a test task',
    prompt: 'hello',
    type: 'test',
    priority: 'medium',
    capabilities: [],
    dependsOn: [],
    locks: [],
    status: 'running',
    attempts: 1,
    retry: { maxAttempts: 1, backoffMs: 0, backoffCapMs: 0 },
    timeoutMs: 0,
    scheduleTimeoutMs: 0,
    idempotencyKey: null,
    agent: 'tester',
    reason: null,
    error: null,
    result: null,
    output: null,
    usage: ZERO_USAGE,
    metadata: {},
    createdAt: 0,
    updatedAt: 0,
    startedAt: 0,
    finishedAt: null,
    runAt: 0,
    leaseUntil: null,
    run: null,
    step: null,
    ...over,
  };
}

/** Records what a runtime reports about its own health. */
export class HostLog implements RuntimeHost {
  readonly statuses: { status: 'active' | 'error'; reason?: string }[] = [];
  onAgentStatus(status: 'active' | 'error', reason?: string): void {
    this.statuses.push({ status, reason });
  }
}

/** Collects an attempt's events; `next(type)` waits for the first (or next) one of a type. */
export class Events {
  readonly all: RuntimeEvent[] = [];
  private waiters: { type: string; resolve: (e: RuntimeEvent) => void }[] = [];
  readonly emit = (e: RuntimeEvent): void => {
    this.all.push(e);
    const w = this.waiters.find((x) => x.type === e.type);
    if (w) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(e);
    }
  };
  of<T extends RuntimeEvent['type']>(type: T): Extract<RuntimeEvent, { type: T }>[] {
    return this.all.filter((e): e is Extract<RuntimeEvent, { type: T }> => e.type === type);
  }
  first<T extends RuntimeEvent['type']>(type: T): Promise<Extract<RuntimeEvent, { type: T }>> {
    const seen = this.of(type)[0];
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ type, resolve: resolve as (e: RuntimeEvent) => void }));
  }
  lines(): string[] {
    return this.of('log').map((e) => e.line);
  }
}

/** A temp directory for one test, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'hive-rt-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function makeRequest(dir: string, agent: Agent, over: Partial<RunRequest> = {}): RunRequest {
  const task = over.task ?? makeTask();
  return {
    task,
    attempt: 1,
    agent,
    workdir: join(dir, 'work'),
    logPath: join(dir, 'logs', `${task.id}.log`),
    timeoutMs: 0,
    env: { HIVE_TASK_ID: String(task.id), HIVE_ATTEMPT: '1', HIVE_AGENT: agent.name },
    abort: new LazyAbort(),
    ...over,
  };
}

/** Starts a runtime for `agent`, runs `fn`, and always stops it. */
export async function withRuntime<T>(
  factory: RuntimeFactory,
  agent: Agent,
  fn: (rt: AgentRuntime, host: HostLog) => Promise<T>,
  settings: RuntimeSettings = SETTINGS,
): Promise<T> {
  const host = new HostLog();
  const rt = factory(agent, host, settings);
  await rt.start();
  try {
    return await fn(rt, host);
  } finally {
    await rt.stop(300);
  }
}

function sumUsage(events: Events): Usage {
  const u = { ...ZERO_USAGE };
  for (const e of events.of('usage')) {
    u.inputTokens += e.usage.inputTokens ?? 0;
    u.outputTokens += e.usage.outputTokens ?? 0;
    u.costUsd += e.usage.costUsd ?? 0;
  }
  return u;
}

const SLACK_MS = 1_500;

/**
 * `pid`: what `started` names — the attempt's own process (gone once the attempt settles), a long-lived
 * worker's process, or nothing (in-process).
 */
export function runRuntimeSuite(name: string, make: (b: Behaviour) => RuntimeTarget, caps: { pid: 'attempt' | 'worker' | 'none' }): void {
  const run = async (
    b: Behaviour,
    fn: (ctx: { rt: AgentRuntime; agent: Agent; dir: string; events: Events; go: (over?: Partial<RunRequest>) => Promise<RunOutcome> }) => Promise<void>,
  ): Promise<void> => {
    const { spec, factory } = make(b);
    const agent = makeAgent(spec);
    await withTempDir((dir) =>
      withRuntime(factory, agent, async (rt) => {
        const events = new Events();
        await fn({ rt, agent, dir, events, go: (over = {}) => rt.run(makeRequest(dir, agent, over), events.emit) });
      }),
    );
  };

  describe(`${name} runtime: AgentRuntime contract`, () => {
    it('succeeds with the JSON result, having reported started first', async () => {
      await run('ok', async ({ events, go }) => {
        const o = await go({ task: makeTask({ prompt: HOSTILE_PROMPT }) });
        assert.equal(o.ok, true, o.error);
        assert.deepEqual(o.result, { echo: HOSTILE_PROMPT });
        assert.equal(o.code, undefined);
        const started = events.all[0];
        assert.equal(started?.type, 'started');
        if (caps.pid !== 'none' && started.type === 'started') {
          assert.ok(Number.isInteger(started.pid) && started.pid! > 1, 'started names the pid');
          assert.ok(Number.isInteger(started.pidStart), 'started names the pid start time');
        }
      });
    });

    it('reports progress and usage (as increments)', async () => {
      await run('ok', async ({ events, go }) => {
        assert.equal((await go()).ok, true);
        const progress = events.of('progress');
        assert.equal(progress.length, 1);
        assert.equal(progress[0].pct, 50);
        assert.equal(progress[0].message, 'half');
        assert.deepEqual(sumUsage(events), { inputTokens: 10, outputTokens: 5, costUsd: 0.01 });
      });
    });

    it('reports a failure as ok:false, TASK_FAILED, with the reason', async () => {
      await run('fail', async ({ go }) => {
        const o = await go();
        assert.equal(o.ok, false);
        assert.equal(o.code, 'TASK_FAILED');
        assert.match(o.error ?? '', /boom/);
      });
    });

    it('stops an attempt that runs past its timeout: TIMEOUT, within timeout + grace', async () => {
      await run('hang', async ({ go }) => {
        const t0 = Date.now();
        const o = await go({ timeoutMs: 300 });
        const took = Date.now() - t0;
        assert.equal(o.ok, false);
        assert.equal(o.code, 'TIMEOUT');
        assert.ok(took >= 290, `stopped after ${took} ms, before the timeout`);
        assert.ok(took < 300 + SETTINGS.killGraceMs + SLACK_MS, `stopped after ${took} ms`);
      });
    });

    it('stops an aborted attempt with the abort reason’s code (CANCELLED)', async () => {
      await run('hang', async ({ events, go }) => {
        const ctl = new LazyAbort();
        const pending = go({ abort: ctl });
        const started = await events.first('started');
        const t0 = Date.now();
        ctl.abort(new HiveError('CANCELLED', 'cancelled by a test'));
        const o = await pending;
        assert.equal(o.ok, false);
        assert.equal(o.code, 'CANCELLED');
        assert.equal(o.error, 'cancelled by a test');
        assert.ok(Date.now() - t0 < SETTINGS.killGraceMs + SLACK_MS);
        if (caps.pid === 'attempt') assert.equal(isProcessAlive(started.pid!, started.pidStart ?? null), false, 'the process is gone');
      });
    });

    it('keeps any HiveError code of the abort reason, and uses CANCELLED for any other reason', async () => {
      await run('hang', async ({ events, go }) => {
        const a = new LazyAbort();
        const first = go({ abort: a });
        await events.first('started');
        a.abort(new HiveError('SHUTDOWN', 'the orchestrator is stopping'));
        assert.equal((await first).code, 'SHUTDOWN');
        const b = new LazyAbort();
        const second = go({ abort: b, task: makeTask() });
        await new Promise((r) => setTimeout(r, 50));
        b.abort(new Error('whatever'));
        assert.equal((await second).code, 'CANCELLED');
      });
    });

    it('settles at once, without starting anything, when the signal is already aborted', async () => {
      await run('ok', async ({ events, go }) => {
        const ctl = new LazyAbort();
        ctl.abort(new HiveError('LEASE_EXPIRED', 'lease lost'));
        const o = await go({ abort: ctl });
        assert.equal(o.ok, false);
        assert.equal(o.code, 'LEASE_EXPIRED');
        assert.equal(events.of('started').length, 0);
      });
    });

    it('runs attempts concurrently, each with its own result', async () => {
      await run('ok', async ({ dir, agent, rt }) => {
        const prompts = ['one', 'two', 'three'];
        const outcomes = await Promise.all(prompts.map((prompt) => rt.run(makeRequest(dir, agent, { task: makeTask({ prompt }) }), () => {})));
        assert.deepEqual(
          outcomes.map((o) => o.result),
          prompts.map((p) => ({ echo: p })),
        );
      });
    });
  });
}
