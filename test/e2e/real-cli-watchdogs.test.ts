import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Attempt, PresetTool, Task } from '../../src/core/types.js';
import type { Orchestrator } from '../../src/engine/orchestrator.js';
import { createHive } from '../../src/index.js';
import { scriptedAgent } from '../../src/model-server/clients.js';
import { createModelServer, loadScript, type AgentCli, type ModelServer } from '../../src/model-server/index.js';
import { findProcessesWithEnv } from '../../src/runtimes/process.js';
import { installAgentClis, type InstalledCli } from '../helpers/agent-clis.js';
import { agentSpec, ROOT, sleep, tempDir } from '../helpers/hive.js';

/**
 * The real Claude Code, Codex CLI and Gemini CLI against a model API that fails, run by a real orchestrator with
 * short watchdogs: each preset agent pointed at its own scripted model server exactly as `hive run` does
 * (scriptedAgent()), one attempt per task (no retries). Each case checks the attempt's error code, its wall time,
 * and that no process of the attempt survives it. What each CLI does on each fault, measured: docs/agents.md
 * ("When the model API fails").
 *
 * Two phases, to keep the two cores from starving a CLI's start-up into an idle timeout: first the outages and
 * the rate limits (the outages run ~30 s), then, once the rate limits are done, the hung and stalled APIs (~8 s, Gemini CLI ~22 s).
 * Every case runs at the same time as the others of its phase. A CLI that cannot be installed has its cases
 * skipped with the reason.
 */

const SCRIPTS = join(ROOT, 'test/fixtures/model-scripts');
const KIND: Record<AgentCli, PresetTool> = { claude: 'claude-code', codex: 'codex', gemini: 'gemini' };

interface Case {
  name: string;
  cli: AgentCli;
  script: 'api-hang' | 'api-stall' | 'api-down' | 'rate-limit-once';
  phase: 1 | 2;
  /** The agent's limits.idle_timeout and limits.timeout. */
  idleMs: number;
  timeoutMs: number;
  /** What the attempt must end with: its status and error code, a wall-time range, the error text. */
  expect: { status: 'completed' | 'failed'; code: string | null; minMs: number; maxMs: number; error?: RegExp };
  title: string;
}

const IDLE_SHORT = 6_000;
const IDLE_GEMINI = 15_000;
const IDLE = 12_000;
const TIMEOUT = 40_000;
/** A wall-time allowance for start-up on a loaded machine and the kill grace. */
const SLACK = 12_000;

const CASES: Case[] = [
  // phase 1: the API is down (every connection closed), or rate-limits once
  {
    name: 'codex-down', cli: 'codex', script: 'api-down', phase: 1, idleMs: IDLE, timeoutMs: TIMEOUT,
    expect: { status: 'failed', code: 'TASK_FAILED', minMs: 15_000, maxMs: TIMEOUT, error: /turn_failed: stream disconnected before completion/ },
    title: 'codex, API down: it reconnects 5 times, then gives up by itself (turn.failed, exit 1) -> TASK_FAILED in about 25 s',
  },
  {
    name: 'claude-down', cli: 'claude', script: 'api-down', phase: 1, idleMs: IDLE, timeoutMs: TIMEOUT,
    expect: { status: 'failed', code: 'IDLE_TIMEOUT', minMs: IDLE + 8_000, maxMs: TIMEOUT, error: /no output for 12000 ms/ },
    title: 'claude, API down, idle timeout 12 s: an api_retry line per retry keeps it alive until a backoff passes 12 s -> IDLE_TIMEOUT after about 30 s',
  },
  {
    name: 'claude-down-patient', cli: 'claude', script: 'api-down', phase: 1, idleMs: 25_000, timeoutMs: 30_000,
    expect: { status: 'failed', code: 'TIMEOUT', minMs: 30_000, maxMs: 30_000 + SLACK, error: /timed out after 30000 ms/ },
    title: 'claude, API down, idle timeout 25 s (above its backoffs so far): never idle, the attempt timeout (30 s) ends it -> TIMEOUT',
  },
  {
    name: 'gemini-down', cli: 'gemini', script: 'api-down', phase: 1, idleMs: IDLE, timeoutMs: TIMEOUT,
    expect: { status: 'failed', code: 'IDLE_TIMEOUT', minMs: IDLE, maxMs: TIMEOUT, error: /no output for 12000 ms/ },
    title: 'gemini, API down: one stderr line per retry, backoff 5, 10, 20 s… -> IDLE_TIMEOUT once a backoff passes 12 s',
  },
  ...(['claude', 'codex', 'gemini'] as const).map(
    (cli): Case => ({
      name: `${cli}-rate-limit`, cli, script: 'rate-limit-once', phase: 1, idleMs: IDLE, timeoutMs: TIMEOUT,
      expect: { status: 'completed', code: null, minMs: 0, maxMs: 25_000 },
      title: `${cli}, one rate limit (429, retry-after 1) then an answer: it retries and the task completes`,
    }),
  ),
  // phase 2: the API accepts and never answers, or starts a stream and stalls. Gemini CLI gets a longer idle
  // timeout: its start-up prints nothing for 2-3 s, and for more than 6 s when other CLIs load the machine.
  ...(['claude', 'codex', 'gemini'] as const).flatMap((cli) =>
    (['hang', 'stall'] as const).map((fault): Case => {
      const idleMs = cli === 'gemini' ? IDLE_GEMINI : IDLE_SHORT;
      return {
        name: `${cli}-${fault}`, cli, script: `api-${fault}`, phase: 2, idleMs, timeoutMs: TIMEOUT,
        expect: { status: 'failed', code: 'IDLE_TIMEOUT', minMs: idleMs, maxMs: idleMs + SLACK, error: new RegExp(`no output for ${idleMs} ms`) },
        title: `${cli}, API ${fault === 'hang' ? 'accepts and never answers' : 'stalls mid-stream'}: the CLI waits silently -> IDLE_TIMEOUT after ${idleMs / 1000} s`,
      };
    }),
  ),
];

interface Outcome {
  task: Task;
  attempts: Attempt[];
  server: ModelServer;
  /** Processes still carrying the case's marker once the attempt ended (after up to 5 s). */
  left: number[];
  log: string;
}

let installed = new Map<AgentCli, InstalledCli>();
const outcomes = new Map<string, Outcome>();
let hive: Orchestrator | null = null;
const servers: ModelServer[] = [];
const dir = tempDir('hive-watchdogs-');
const dataDir = join(dir.dir, 'data');
let setupError: unknown = null;

async function runPhase(h: Orchestrator, cases: Case[], byName: Map<string, ModelServer>): Promise<void> {
  const submitted = await h.submit(cases.map((c) => ({ title: c.name, prompt: 'Say hello.', capabilities: [c.name], maxAttempts: 1 })));
  await Promise.all(
    submitted.map(async ({ task }, i) => {
      const c = cases[i];
      const deadline = Date.now() + c.timeoutMs + 30_000;
      let t = task;
      while (!['completed', 'dead', 'cancelled'].includes(t.status) && Date.now() < deadline) {
        await sleep(100);
        t = await h.getTask(task.id);
      }
      let left = findProcessesWithEnv('HIVE_CASE', c.name);
      for (let waited = 0; left.length && waited < 5_000; waited += 100) {
        await sleep(100);
        left = findProcessesWithEnv('HIVE_CASE', c.name);
      }
      const attempts = await h.attempts(task.id);
      let log = '';
      try {
        log = attempts[0]?.logPath ? readFileSync(attempts[0].logPath, 'utf8') : '';
      } catch {
        // no log
      }
      outcomes.set(c.name, { task: t, attempts, server: byName.get(c.name)!, left, log });
    }),
  );
}

before(
  async () => {
    installed = installAgentClis();
    const runnable = CASES.filter((c) => installed.get(c.cli)?.ok);
    if (!runnable.length) return;
    try {
      const h = await createHive({ dataDir, pollMs: 20, killGraceMs: 2_000 });
      hive = h;
      const byName = new Map<string, ModelServer>();
      const agents = [];
      for (const c of runnable) {
        const server = await createModelServer({ script: loadScript(join(SCRIPTS, `${c.script}.yaml`)) });
        servers.push(server);
        byName.set(c.name, server);
        const work = join(dir.dir, 'work', c.name);
        const home = join(dir.dir, 'home', c.name);
        mkdirSync(work, { recursive: true });
        mkdirSync(home, { recursive: true });
        const spec = agentSpec(c.name, [c.name], { kind: KIND[c.cli], binary: installed.get(c.cli)!.bin! }, 1, {
          env: { HIVE_CASE: c.name },
          workdir: work,
          limits: { timeoutMs: c.timeoutMs, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0, idleTimeoutMs: c.idleMs, exitGraceMs: 5_000 },
        });
        const s = scriptedAgent(spec, { url: server.url, home })!;
        for (const [file, content] of Object.entries(s.files)) {
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, content);
        }
        agents.push(s.spec);
      }
      await h.start({ agents });
      const phase1 = runnable.filter((c) => c.phase === 1);
      const phase2 = runnable.filter((c) => c.phase === 2);
      // phase 2 starts when phase 1's short cases (the rate limits) are done; the outages go on meanwhile
      const short = phase1.filter((c) => c.script === 'rate-limit-once');
      const long = runPhase(h, phase1.filter((c) => c.script !== 'rate-limit-once'), byName);
      await runPhase(h, short, byName);
      await runPhase(h, phase2, byName);
      await long;
    } catch (err) {
      setupError = err;
    }
  },
  { timeout: 900_000 },
);

after(async () => {
  await hive?.close({ drainMs: 0 });
  for (const s of servers) await s.close();
  dir.cleanup();
});

const explain = (o: Outcome): string => {
  const a = o.attempts[0];
  const turns = o.server.requests.filter((r) => r.kind === 'turn');
  return `\ntask ${o.task.status}; attempt ${a?.status} ${a?.errorCode}: ${a?.error}; exit ${a?.exitCode} signal ${a?.signal}\nrequests: ${turns.map((r) => `${r.turn}:${r.fault ?? '-'}:${r.status ?? '-'}`).join(' ')}\nlog:\n${o.log.slice(-3000)}`;
};

for (const c of CASES) {
  test(c.title, (t) => {
    const i = installed.get(c.cli);
    if (!i?.ok) return t.skip(`${c.cli} is not installed: ${i?.error ?? 'unknown'}`);
    if (setupError) throw setupError;
    const o = outcomes.get(c.name);
    assert.ok(o, `no outcome for ${c.name}`);
    assert.equal(o.attempts.length, 1, explain(o));
    const a = o.attempts[0];
    assert.equal(a.status, c.expect.status, explain(o));
    assert.equal(a.errorCode, c.expect.code, explain(o));
    if (c.expect.error) assert.match(a.error ?? '', c.expect.error, explain(o));
    assert.equal(o.task.status, c.expect.status === 'completed' ? 'completed' : 'dead', explain(o));
    const ms = a.finishedAt! - a.startedAt;
    assert.ok(ms >= c.expect.minMs - 50 && ms <= c.expect.maxMs + SLACK, `took ${ms} ms, expected ${c.expect.minMs}-${c.expect.maxMs} ms${explain(o)}`);
    // the CLI really talked to the API and met the fault
    const turns = o.server.requests.filter((r) => r.kind === 'turn');
    assert.ok(turns.length >= 1, `no request reached the API${explain(o)}`);
    if (c.script === 'rate-limit-once') assert.deepEqual(turns.map((r) => r.status), [429, 200], explain(o));
    else assert.ok(turns.every((r) => r.turn === 0), explain(o));
    // nothing of the attempt's process group is left
    assert.deepEqual(o.left, [], `processes of ${c.name} still running`);
    if (c.name === 'claude-down' || c.name === 'claude-down-patient') {
      const retries = o.log.split('\n').filter((l) => l.includes('"subtype":"api_retry"')).length;
      assert.ok(retries >= 5, `only ${retries} api_retry lines${explain(o)}`);
      t.diagnostic(`${retries} api_retry lines`);
    }
    t.diagnostic(`${a.errorCode ?? 'completed'} after ${ms} ms; ${turns.length} request(s) to the API`);
  });
}

test('no process started for any case outlives the run (none carries the data directory marker)', (t) => {
  if (!CASES.some((c) => installed.get(c.cli)?.ok)) return t.skip('no CLI is installed');
  if (setupError) throw setupError;
  assert.deepEqual(findProcessesWithEnv('HIVE_DATA_DIR', dataDir), []);
});
