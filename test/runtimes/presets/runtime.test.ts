import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { RunOutcome, RunRequest } from '../../../src/core/runtime.js';
import type { Agent, AgentLimits, PresetRuntimeSpec, PresetTool, RuntimeSpec } from '../../../src/core/types.js';
import { createCommandRuntime } from '../../../src/runtimes/command/index.js';
import { presetArgv } from '../../../src/runtimes/presets/invocation.js';
import type { PresetResult } from '../../../src/runtimes/presets/output.js';
import { createPresetRuntime } from '../../../src/runtimes/presets/runtime.js';
import { findPreviousSession } from '../../../src/runtimes/presets/session.js';
import { isProcessAlive, readPidStart } from '../../../src/runtimes/process.js';
import { IdleWatch } from '../../../src/runtimes/watchdog.js';
import { Events, makeAgent, makeRequest, makeTask, NODE, SETTINGS, withRuntime, withTempDir } from '../../contract/runtime.suite.js';
import { fixtureLines } from './helpers.js';

/** test/fixtures/fake-clis/, from dist/test/runtimes/presets/. */
export const FAKE_CLIS = fileURLToPath(new URL('../../../../test/fixtures/fake-clis/', import.meta.url));
/** The fakes first on PATH, and the node that runs them (their shebang is `/usr/bin/env node`). */
const PATH = `${FAKE_CLIS}:${dirname(NODE)}:${process.env.PATH ?? ''}`;

/** A loaded machine may take a while to start node: the idle timeout counts from the spawn. */
const LIMITS: AgentLimits = { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0, idleTimeoutMs: 2_000, exitGraceMs: 300 };
const IDLE_MS = 600;

function presetAgent(spec: PresetRuntimeSpec, limits: Partial<AgentLimits> = {}): Agent {
  return makeAgent(spec, { env: { PATH }, limits: { ...LIMITS, ...limits } });
}

interface Ran {
  o: RunOutcome;
  events: Events;
  req: RunRequest;
  log: string;
  ms: number;
}

/** One attempt of `agent` on `prompt` in a fresh temp dir. */
async function runAgent(agent: Agent, prompt: string, over: Partial<RunRequest> = {}): Promise<Ran> {
  return withTempDir(async (dir) =>
    withRuntime(agent.runtime.kind === 'command' ? createCommandRuntime : createPresetRuntime, agent, async (rt) => {
      const events = new Events();
      const req = makeRequest(dir, agent, { task: makeTask({ prompt }), ...over });
      const t0 = Date.now();
      const o = await rt.run(req, events.emit);
      const ms = Date.now() - t0;
      let log = '';
      try {
        log = readFileSync(req.logPath!, 'utf8');
      } catch {
        // no log
      }
      return { o, events, req, log, ms };
    }),
  );
}

const resultOf = (o: RunOutcome): PresetResult => o.result as PresetResult;

/** Every line of a recorded stream is in the attempt log, in order. */
function assertAllLines(log: string, stream: string): void {
  const lines = fixtureLines(stream).filter((l) => l !== '');
  let at = 0;
  for (const line of lines) {
    const i = log.indexOf(`${line}\n`, at);
    assert.ok(i >= 0, `the log holds ${line.slice(0, 80)}`);
    at = i + line.length;
  }
}

function sumUsage(events: Events): { inputTokens: number; outputTokens: number; costUsd: number } {
  const u = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  for (const e of events.of('usage')) {
    u.inputTokens += e.usage.inputTokens ?? 0;
    u.outputTokens += e.usage.outputTokens ?? 0;
    u.costUsd += e.usage.costUsd ?? 0;
  }
  u.costUsd = Math.round(u.costUsd * 1e9) / 1e9;
  return u;
}

interface ToolCase {
  kind: PresetTool;
  model?: string;
  stream: string;
  sessionId?: string;
  text: string;
  usage: PresetResult['usage'];
  files: string[];
}

const CASES: ToolCase[] = [
  {
    kind: 'claude-code',
    stream: 'claude-code/success-with-edits.jsonl',
    sessionId: '5f0c9a7e-1b2c-4d3e-8f90-a1b2c3d4e5f6',
    text: "Changed the greeting to 'hello' and added a test.",
    usage: { input: 29, output: 412, cacheRead: 82630, cacheWrite: 5870, costUsd: 0.0612345, costSource: 'reported' },
    files: ['/work/repo/src/greet.ts', '/work/repo/test/greet.test.ts', '/work/repo/notes.ipynb'],
  },
  {
    kind: 'codex',
    model: 'gpt-5-codex',
    stream: 'codex/success-with-edits.jsonl',
    sessionId: '0199a213-81c0-7800-8aa1-bbab2a035a53',
    text: 'Updated the greeting; one test still fails.',
    // 24763 prompt tokens of which 24448 cached: (315 × 1.25 + 122 × 10 + 24448 × 0.125) / 1e6
    usage: { input: 315, output: 122, cacheRead: 24448, cacheWrite: 0, costUsd: 0.00466975, costSource: 'estimated' },
    files: ['/work/repo/src/greet.ts', '/work/repo/test/greet.test.ts', '/work/repo/src/old.ts'],
  },
  {
    kind: 'gemini',
    stream: 'gemini/success-with-edits.jsonl',
    sessionId: 'c0ffee00-1111-4222-8333-444455556666',
    text: 'Done: the greeting is now hello.',
    // gemini-2.5-pro from the init line: (8000 × 1.25 + 2500 × 10 + 20000 × 0.125) / 1e6
    usage: { input: 8000, output: 2500, cacheRead: 20000, cacheWrite: 0, costUsd: 0.0375, costSource: 'estimated' },
    files: ['/work/repo/src/greet.ts', '/work/repo/test/greet.test.ts'],
  },
  {
    kind: 'aider',
    stream: 'aider/success-with-edits.txt',
    text: '',
    usage: { input: 3000, output: 1612, cacheRead: 8100, cacheWrite: 3200, costUsd: 0.03, costSource: 'reported' },
    files: ['src/greet.py', 'tests/test_greet.py'],
  },
];

describe('preset runtimes (fake CLIs on PATH)', () => {
  for (const c of CASES) {
    it(`${c.kind}: success maps usage, cost, session, files and the answer; every raw line is in the log`, async () => {
      const spec: PresetRuntimeSpec = { kind: c.kind, ...(c.model ? { model: c.model } : {}) };
      const { o, events, log } = await runAgent(presetAgent(spec), 'change the greeting');
      assert.equal(o.ok, true, o.error);
      assert.equal(o.code, undefined);
      assert.equal(o.exitCode, 0);
      const r = resultOf(o);
      assert.equal(r.tool, c.kind);
      assert.equal(r.sessionId, c.sessionId);
      assert.deepEqual(r.usage, c.usage);
      assert.deepEqual(r.filesChanged, c.files);
      if (c.kind === 'aider') assert.equal(r.text, undefined);
      else {
        assert.equal(r.text, c.text);
        assert.equal(o.output, c.text);
      }
      // the engine gets the same figures as increments; inputTokens is the whole prompt (uncached + cache reads + writes)
      assert.deepEqual(sumUsage(events), {
        inputTokens: c.usage.input + c.usage.cacheRead + c.usage.cacheWrite,
        outputTokens: c.usage.output,
        costUsd: c.usage.costUsd,
      });
      assert.ok(events.of('progress').some((p) => p.message?.startsWith('changed ')), 'file changes are progress');
      if (c.sessionId) assert.ok(events.of('progress').some((p) => p.message === `session ${c.sessionId}`));
      assertAllLines(log, c.stream);
      assert.ok(log.includes(`fake-${c.kind === 'claude-code' ? 'claude' : c.kind} argv`), 'stderr is in the log too');
      const stdout = events.of('log').filter((e) => e.stream === 'stdout').map((e) => e.line);
      assert.deepEqual(stdout, fixtureLines(c.stream).slice(0, -1), 'one log event per stdout line');
    });
  }

  it('claude-code: error_max_turns fails the attempt with TASK_FAILED and the reason, keeping usage and session', async () => {
    const { o, events } = await runAgent(presetAgent({ kind: 'claude-code' }), 'mode=error');
    assert.equal(o.ok, false);
    assert.equal(o.code, 'TASK_FAILED');
    assert.equal(o.error, 'error_max_turns');
    assert.equal(o.exitCode, 1);
    assert.equal(resultOf(o).sessionId, '9d8c7b6a-5e4f-4321-9abc-def012345678');
    assert.deepEqual(sumUsage(events), { inputTokens: 18 + 4000 + 4100, outputTokens: 130, costUsd: 0.1534 });
  });

  it('codex, gemini, aider: their error streams and exit codes fail the attempt with the reason', async () => {
    const codex = await runAgent(presetAgent({ kind: 'codex' }), 'mode=error');
    assert.deepEqual([codex.o.ok, codex.o.code, codex.o.error], [false, 'TASK_FAILED', "turn_failed: You've hit your usage limit. Try again later."]);
    const gemini = await runAgent(presetAgent({ kind: 'gemini' }), 'mode=error');
    assert.equal(gemini.o.code, 'TASK_FAILED');
    assert.match(gemini.o.error ?? '', /^turn_limit: Reached max session turns/);
    assert.equal(gemini.o.exitCode, 53);
    const aider = await runAgent(presetAgent({ kind: 'aider' }), 'mode=error');
    // Aider has no terminal line: the exit code decides, and the last stderr line explains
    assert.deepEqual([aider.o.ok, aider.o.code, aider.o.error], [false, 'TASK_FAILED', 'exit code 1: fake-aider argv ["--message","mode=error","--yes-always","--no-stream","--no-pretty"]']);
  });

  it('a missing binary is SPAWN_FAILED, naming it', async () => {
    const { o } = await runAgent(presetAgent({ kind: 'gemini', binary: '/nonexistent/gemini' }), 'x');
    assert.equal(o.code, 'SPAWN_FAILED');
    assert.match(o.error ?? '', /"\/nonexistent\/gemini": no such file/);
  });

  describe('watchdogs', () => {
    for (const kind of ['claude-code', 'codex', 'gemini', 'aider'] as const) {
      it(`${kind}: silent after its first line → IDLE_TIMEOUT after idle_timeout; the process group is gone`, async () => {
        let child: { pid: number; start: number | null } | null = null;
        const agent = presetAgent({ kind }, { idleTimeoutMs: IDLE_MS });
        const { o, ms, events } = await withTempDir(async (dir) =>
          withRuntime(createPresetRuntime, agent, async (rt) => {
            const events = new Events();
            const t0 = Date.now();
            const o = await rt.run(makeRequest(dir, agent, { task: makeTask({ prompt: 'mode=hang-silent child' }) }), (e) => {
              events.emit(e);
              const m = e.type === 'log' ? /^fake-child-pid (\d+)$/.exec(e.line) : null;
              if (m) child = { pid: Number(m[1]), start: readPidStart(Number(m[1])) };
            });
            return { o, ms: Date.now() - t0, events };
          }),
        );
        assert.equal(o.ok, false);
        assert.equal(o.code, 'IDLE_TIMEOUT');
        assert.match(o.error ?? '', /no output for 600 ms/);
        assert.ok(ms >= IDLE_MS && ms < IDLE_MS + SETTINGS.killGraceMs + 1_500, `took ${ms} ms`);
        const started = events.of('started')[0];
        assert.equal(isProcessAlive(started.pid!, started.pidStart ?? null), false);
        const c = child as { pid: number; start: number | null } | null;
        assert.ok(c && c.start !== null, 'the child ran');
        assert.equal(isProcessAlive(c.pid, c.start), false, 'the child in its group was killed too');
      });
    }

    for (const kind of ['claude-code', 'codex', 'gemini'] as const) {
      it(`${kind}: still running after its result → killed after exit_grace, the result kept, HUNG_AFTER_RESULT`, async () => {
        const c = CASES.find((x) => x.kind === kind)!;
        const { o, ms, log } = await runAgent(presetAgent({ kind, ...(c.model ? { model: c.model } : {}) }), 'mode=hang-after-result');
        assert.equal(o.ok, true, o.error);
        assert.equal(o.code, 'HUNG_AFTER_RESULT');
        assert.match(o.error ?? '', /still running 300 ms after its result/);
        assert.equal(resultOf(o).text, c.text);
        assert.equal(resultOf(o).sessionId, c.sessionId);
        assert.deepEqual(resultOf(o).usage, c.usage);
        assert.equal(o.signal, 'SIGTERM');
        assert.ok(ms < 1_500 + 300 + SETTINGS.killGraceMs, `took ${ms} ms`);
        assert.match(log, /\nhive: HUNG_AFTER_RESULT: still running 300 ms after its result/);
      });
    }

    it('aider prints no terminal line: a hang after its answer is an IDLE_TIMEOUT', async () => {
      const { o } = await runAgent(presetAgent({ kind: 'aider' }, { idleTimeoutMs: IDLE_MS }), 'mode=hang-after-result');
      assert.equal(o.code, 'IDLE_TIMEOUT');
    });

    it('a program that keeps printing is not idle: the timeout stops it (TIMEOUT), SIGKILL when it ignores SIGTERM', async () => {
      const { o, ms } = await runAgent(presetAgent({ kind: 'claude-code' }), 'mode=slow ignore-term', { timeoutMs: 800 });
      assert.equal(o.code, 'TIMEOUT');
      assert.equal(o.signal, 'SIGKILL');
      assert.ok(ms >= 800 + SETTINGS.killGraceMs - 20, `took ${ms} ms`);
    });

    it('the timeout after a result keeps the result too (HUNG_AFTER_RESULT)', async () => {
      const { o } = await runAgent(presetAgent({ kind: 'gemini' }, { exitGraceMs: 0 }), 'mode=hang-after-result', { timeoutMs: 2_000 });
      assert.equal(o.ok, true);
      assert.equal(o.code, 'HUNG_AFTER_RESULT');
      assert.match(o.error ?? '', /^timed out after 2000 ms, \d+ ms after its result/);
    });

    it('0 turns a watchdog off', async () => {
      const { o } = await runAgent(presetAgent({ kind: 'claude-code' }, { idleTimeoutMs: 0 }), 'mode=hang-silent', { timeoutMs: 700 });
      assert.equal(o.code, 'TIMEOUT');
    });

    it('an idle watch fires once, after the last touch', async () => {
      let fired = 0;
      const t0 = Date.now();
      const w = new IdleWatch(100, () => fired++);
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 40));
        w.touch();
      }
      await new Promise((r) => setTimeout(r, 160));
      assert.equal(fired, 1);
      assert.ok(Date.now() - t0 >= 300);
      w.stop();
    });
  });

  describe('command agents', () => {
    const sh = (script: string, limits: Partial<AgentLimits> = {}): Agent =>
      makeAgent({ kind: 'command', command: ['/bin/sh', '-c', script] } as RuntimeSpec, { limits: { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0, ...limits } });

    it('have no idle timeout unless set; idle_timeout kills a silent one (IDLE_TIMEOUT)', async () => {
      const quiet = await runAgent(sh('sleep 0.5; echo \'{"done":1}\''), 'x');
      assert.equal(quiet.o.ok, true);
      const { o } = await runAgent(sh('echo start; sleep 30', { idleTimeoutMs: 200 }), 'x');
      assert.equal(o.code, 'IDLE_TIMEOUT');
      assert.equal(o.output, 'start');
    });

    it('{"hive":"done"} starts the exit grace: a program that then hangs completes with its result (HUNG_AFTER_RESULT)', async () => {
      const { o, log } = await runAgent(sh(`echo '{"answer":42}'; echo '{"hive":"done"}'; sleep 30`, { exitGraceMs: 200 }), 'x');
      assert.equal(o.ok, true, o.error);
      assert.deepEqual(o.result, { answer: 42 });
      assert.equal(o.code, 'HUNG_AFTER_RESULT');
      assert.match(log, /hive: HUNG_AFTER_RESULT: still running 200 ms after its result/);
      // without `done`, exit code decides as always
      const plain = await runAgent(sh(`echo '{"hive":"done"}'; exit 3`, { exitGraceMs: 5_000 }), 'x');
      assert.deepEqual([plain.o.ok, plain.o.code], [false, 'TASK_FAILED']);
    });
  });

  describe('invocation', () => {
    it('builds each tool’s headless command line from the options', () => {
      assert.deepEqual(presetArgv({ kind: 'claude-code', model: 'sonnet', permissionMode: 'acceptEdits', maxTurns: 5, extraArgs: ['--add-dir', '/x'] }, 'do it', 'S1'), [
        'claude', '-p', 'do it', '--output-format', 'stream-json', '--verbose', '--model', 'sonnet', '--permission-mode', 'acceptEdits', '--max-turns', '5', '--resume', 'S1', '--add-dir', '/x',
      ]);
      assert.deepEqual(presetArgv({ kind: 'codex', model: 'gpt-5-codex', binary: '/opt/codex' }, 'do it'), [
        '/opt/codex', 'exec', '--json', '-m', 'gpt-5-codex', '-s', 'workspace-write', '--skip-git-repo-check', 'do it',
      ]);
      assert.deepEqual(presetArgv({ kind: 'codex', permissionMode: 'read-only', extraArgs: ['-c', 'k=v'] }, 'do it', 'T1'), [
        'codex', 'exec', '--json', '-s', 'read-only', '--skip-git-repo-check', '-c', 'k=v', 'resume', 'T1', 'do it',
      ]);
      assert.deepEqual(presetArgv({ kind: 'gemini', model: 'gemini-2.5-pro', permissionMode: 'yolo' }, 'do it'), [
        'gemini', '-p', 'do it', '--output-format', 'stream-json', '--approval-mode', 'yolo', '-m', 'gemini-2.5-pro',
      ]);
      assert.deepEqual(presetArgv({ kind: 'aider', model: 'sonnet', extraArgs: ['--no-auto-commits'] }, 'do it'), [
        'aider', '--message', 'do it', '--yes-always', '--no-stream', '--no-pretty', '--model', 'sonnet', '--no-auto-commits',
      ]);
      // a prompt starting with a dash stays an argument
      assert.equal(presetArgv({ kind: 'gemini' }, '--help me')[2], ' --help me');
    });

    it('passes the options to the real process', async () => {
      const { o, log } = await runAgent(presetAgent({ kind: 'claude-code', model: 'opus', maxTurns: 3 }), 'hi');
      assert.equal(o.ok, true);
      assert.ok(log.includes('fake-claude argv ["-p","hi","--output-format","stream-json","--verbose","--model","opus","--max-turns","3"]'));
    });
  });

  describe('resume', () => {
    async function writeLog(dir: string, name: string, lines: string[]): Promise<string> {
      const path = join(dir, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, `${lines.join('\n')}\n`);
      return path;
    }

    it('finds the newest earlier attempt’s session in its raw log (claude-code, codex), none for gemini and aider', async () => {
      await withTempDir(async (dir) => {
        const claude1 = await writeLog(dir, '1.log', fixtureLines('claude-code/max-turns.jsonl'));
        const noSession = await writeLog(dir, '2.log', ['crashed at once']);
        const codex = await writeLog(dir, '3.log', fixtureLines('codex/two-turns.jsonl'));
        assert.deepEqual(findPreviousSession('claude-code', [noSession, join(dir, 'missing.log'), claude1]), { sessionId: '9d8c7b6a-5e4f-4321-9abc-def012345678' });
        assert.deepEqual(findPreviousSession('codex', [codex, claude1]), {
          sessionId: '0199b000-0000-7000-8000-000000000002',
          codexTotals: { inputTokens: 25000, cachedInputTokens: 20000, outputTokens: 1300 },
        });
        assert.equal(findPreviousSession('codex', [claude1]), null);
        assert.equal(findPreviousSession('gemini', [claude1, codex]), null);
      });
    });

    it('a task with metadata resume: true continues the previous attempt’s session (--resume / exec resume)', async () => {
      await withTempDir(async (dir) => {
        const prev = await writeLog(dir, 'prev/1.log', fixtureLines('claude-code/max-turns.jsonl'));
        const resumed = await runAgent(presetAgent({ kind: 'claude-code' }), 'go on', { attempt: 2, previousLogPaths: [prev], task: makeTask({ prompt: 'go on', metadata: { resume: true } }) });
        assert.equal(resumed.o.ok, true, resumed.o.error);
        assert.ok(resumed.log.includes('"--resume","9d8c7b6a-5e4f-4321-9abc-def012345678"'));
        assert.equal(resultOf(resumed.o).resumedSession, '9d8c7b6a-5e4f-4321-9abc-def012345678');
        assert.equal(resultOf(resumed.o).sessionId, '9d8c7b6a-5e4f-4321-9abc-def012345678');
        assert.ok(resumed.events.of('progress').some((p) => p.message === 'resuming session 9d8c7b6a-5e4f-4321-9abc-def012345678'));
        // without the flag, no resume
        const fresh = await runAgent(presetAgent({ kind: 'claude-code' }), 'go on', { attempt: 2, previousLogPaths: [prev] });
        assert.ok(!fresh.log.includes('--resume'));

        // Codex: the thread's totals carry over, so only this attempt's part is counted
        const codexPrev = await writeLog(dir, 'prev/2.log', [
          '{"type":"thread.started","thread_id":"T-1"}',
          '{"type":"turn.completed","usage":{"input_tokens":20000,"cached_input_tokens":20000,"output_tokens":100}}',
        ]);
        const codex = await runAgent(presetAgent({ kind: 'codex', model: 'gpt-5-codex' }), 'go on', {
          attempt: 2,
          previousLogPaths: [codexPrev],
          task: makeTask({ prompt: 'go on', metadata: { resume: true } }),
        });
        assert.equal(codex.o.ok, true, codex.o.error);
        assert.ok(codex.log.includes('"resume","T-1","go on"]'));
        assert.equal(resultOf(codex.o).sessionId, 'T-1');
        assert.deepEqual(resultOf(codex.o).usage, { input: 315, output: 22, cacheRead: 4448, cacheWrite: 0, costUsd: 0.00116975, costSource: 'estimated' });
      });
    });
  });
});
