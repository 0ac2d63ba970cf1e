import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadConfig } from '../../src/cli/config.js';
import type { Task, Usage } from '../../src/core/types.js';
import type { PresetResult } from '../../src/runtimes/presets/output.js';
import { isProcessAlive, readPidStart } from '../../src/runtimes/process.js';
import { testHive, waitFinal } from '../helpers/hive.js';

/**
 * Short watchdogs (idle 1 s, exit grace 300 ms), but not so short that a loaded machine starting a dozen node
 * processes at once trips the idle timeout before a fake prints its first line.
 *
 * The four coding-agent presets through a real orchestrator: agents from a hive.yaml, fake CLIs (replaying the
 * recorded streams in test/fixtures/streams/) on the orchestrator's PATH, tasks in every mode the fakes know.
 */

const FAKE_CLIS = fileURLToPath(new URL('../../../test/fixtures/fake-clis/', import.meta.url));
const STREAMS = fileURLToPath(new URL('../../../test/fixtures/streams/', import.meta.url));
const PATH = `${FAKE_CLIS}:${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

const HIVE_YAML = `
agents:
  - name: claude
    runtime: claude-code
    capabilities: [claude]
    permission_mode: bypassPermissions
    max_turns: 20
    slots: 3
    limits: { idle_timeout: 1s, exit_grace: 300ms }
  - name: codex
    runtime: codex
    model: gpt-5-codex
    capabilities: [codex]
    slots: 3
    limits: { idle_timeout: 1s, exit_grace: 300ms }
  - name: gemini
    runtime: gemini
    permission_mode: yolo
    capabilities: [gemini]
    slots: 3
    limits: { idle_timeout: 1s, exit_grace: 300ms }
  - name: aider
    runtime: aider
    binary: ${join(FAKE_CLIS, 'aider')}
    extra_args: [--no-auto-commits]
    capabilities: [aider]
    slots: 3
    limits: { idle_timeout: 1s, exit_grace: 300ms }
`;

/** What the success stream of each tool adds up to (see test/runtimes/presets/runtime.test.ts for the breakdown). */
const SUCCESS: Record<string, { usage: Usage; sessionId?: string; stream: string }> = {
  claude: { usage: { inputTokens: 29 + 82630 + 5870, outputTokens: 412, costUsd: 0.0612345 }, sessionId: '5f0c9a7e-1b2c-4d3e-8f90-a1b2c3d4e5f6', stream: 'claude-code/success-with-edits.jsonl' },
  codex: { usage: { inputTokens: 24763, outputTokens: 122, costUsd: 0.00466975 }, sessionId: '0199a213-81c0-7800-8aa1-bbab2a035a53', stream: 'codex/success-with-edits.jsonl' },
  gemini: { usage: { inputTokens: 28000, outputTokens: 2500, costUsd: 0.0375 }, sessionId: 'c0ffee00-1111-4222-8333-444455556666', stream: 'gemini/success-with-edits.jsonl' },
  aider: { usage: { inputTokens: 14300, outputTokens: 1612, costUsd: 0.03 }, stream: 'aider/success-with-edits.txt' },
};

const near = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);

test('presets from hive.yaml run the fake CLIs: usage, cost, sessions, logs and the three watchdogs', async () => {
  const { hive, dir, cleanup } = await testHive({ env: { ...process.env, PATH } });
  // the fakes' children, caught while they run: pid → start time
  const children = new Map<number, number | null>();
  const unlisten = hive.onLive((_task, _attempt, e) => {
    const m = e.type === 'log' ? /^fake-child-pid (\d+)$/.exec(e.line) : null;
    if (m) children.set(Number(m[1]), readPidStart(Number(m[1])));
  });
  try {
    const file = join(dir, 'hive.yaml');
    writeFileSync(file, HIVE_YAML);
    const config = loadConfig({ config: file }, {}, dir);
    for (const spec of config.agents) await hive.registerAgent(spec);
    assert.deepEqual((await hive.getAgent('codex')).runtime, { kind: 'codex', model: 'gpt-5-codex' });
    assert.deepEqual((await hive.getAgent('claude')).limits, { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0, idleTimeoutMs: 1_000, exitGraceMs: 300 });
    await hive.start();

    const agents = ['claude', 'codex', 'gemini', 'aider'];
    const modes = ['ok', 'error', 'hang-silent child', 'hang-after-result child', 'slow'];
    const submitted = await hive.submit(
      agents.flatMap((a) => modes.map((m) => ({ title: `${a} ${m}`, prompt: `mode=${m}`, capabilities: [a], maxAttempts: 1, timeoutMs: m === 'slow' ? 1_500 : 0 }))),
    );
    const ids = submitted.map((s) => s.task.id);
    await waitFinal(hive, ids, 30_000);
    const tasks = new Map<string, Task>();
    for (const id of ids) {
      const t = await hive.getTask(id);
      tasks.set(t.title, t);
    }

    for (const a of agents) {
      const want = SUCCESS[a];
      // success: the answer, the session, usage and cost per task; every raw line in the attempt log
      const ok = tasks.get(`${a} ok`)!;
      assert.equal(ok.status, 'completed', `${a}: ${ok.error}`);
      const result = ok.result as PresetResult;
      assert.equal(result.sessionId, want.sessionId, a);
      assert.equal(ok.usage.inputTokens, want.usage.inputTokens, a);
      assert.equal(ok.usage.outputTokens, want.usage.outputTokens, a);
      near(ok.usage.costUsd, want.usage.costUsd, `${a} cost`);
      if (a !== 'aider') assert.equal(ok.output, result.text);
      const [okAttempt] = await hive.attempts(ok.id);
      const log = readFileSync(okAttempt.logPath!, 'utf8');
      for (const line of readFileSync(join(STREAMS, want.stream), 'utf8').split('\n').filter((l) => l !== '')) assert.ok(log.includes(`${line}\n`), `${a} log holds ${line.slice(0, 60)}`);

      // the tool's error: TASK_FAILED with its reason
      const err = tasks.get(`${a} error`)!;
      assert.equal(err.status, 'dead');
      assert.match(err.error ?? '', /^TASK_FAILED: /);

      // silent: IDLE_TIMEOUT on the attempt
      const silent = tasks.get(`${a} hang-silent child`)!;
      assert.equal(silent.status, 'dead');
      const [silentAttempt] = await hive.attempts(silent.id);
      assert.equal(silentAttempt.errorCode, 'IDLE_TIMEOUT', a);

      // hung after its result: completed with the result (aider prints no terminal line: IDLE_TIMEOUT)
      const hung = tasks.get(`${a} hang-after-result child`)!;
      const [hungAttempt] = await hive.attempts(hung.id);
      if (a === 'aider') {
        assert.equal(hungAttempt.errorCode, 'IDLE_TIMEOUT');
      } else {
        assert.equal(hung.status, 'completed', `${a}: ${hung.error}`);
        assert.equal((hung.result as PresetResult).sessionId, want.sessionId);
        assert.equal(hung.usage.inputTokens, want.usage.inputTokens);
        assert.equal(hungAttempt.status, 'completed');
        // the attempt is completed, with why it had to be killed; the log says it too
        assert.equal(hungAttempt.errorCode, 'HUNG_AFTER_RESULT');
        assert.equal(hungAttempt.status, 'completed');
        assert.match(readFileSync(hungAttempt.logPath!, 'utf8'), /\nhive: HUNG_AFTER_RESULT: still running 300 ms after its result/);
      }

      // printing forever: the task timeout
      const slow = tasks.get(`${a} slow`)!;
      const [slowAttempt] = await hive.attempts(slow.id);
      assert.equal(slowAttempt.errorCode, 'TIMEOUT', a);

      // the agent's counters: every attempt's usage, failed ones included
      const agent = await hive.getAgent(a);
      const mine = [...tasks.values()].filter((t) => t.agent === a);
      assert.equal(mine.length, modes.length);
      near(agent.usage.costUsd, mine.reduce((s, t) => s + t.usage.costUsd, 0), `${a} agent cost`);
      assert.equal(agent.usage.inputTokens, mine.reduce((s, t) => s + t.usage.inputTokens, 0));
      assert.equal(agent.usage.outputTokens, mine.reduce((s, t) => s + t.usage.outputTokens, 0));
      assert.ok(agent.usage.inputTokens >= want.usage.inputTokens * (a === 'aider' ? 1 : 2), `${a}: ok and hung both count`);
      assert.equal(agent.done + agent.failed, modes.length);
    }

    // the options from hive.yaml reached the programs
    const argvOf = async (title: string): Promise<string> => readFileSync((await hive.attempts(tasks.get(title)!.id))[0].logPath!, 'utf8');
    assert.match(await argvOf('claude ok'), /fake-claude argv \["-p","mode=ok","--output-format","stream-json","--verbose","--permission-mode","bypassPermissions","--max-turns","20"\]/);
    assert.match(await argvOf('codex ok'), /fake-codex argv \["exec","--json","-m","gpt-5-codex","-s","workspace-write","--skip-git-repo-check","mode=ok"\]/);
    assert.match(await argvOf('gemini ok'), /fake-gemini argv \["-p","mode=ok","--output-format","stream-json","--approval-mode","yolo"\]/);
    assert.match(await argvOf('aider ok'), /fake-aider argv \["--message","mode=ok","--yes-always","--no-stream","--no-pretty","--no-auto-commits"\]/);

    // every process group the watchdogs killed is gone: its leader and the child it started
    assert.equal(children.size, 8, 'each hang task started a child');
    for (const [pid, start] of children) assert.equal(isProcessAlive(pid, start), false, `child ${pid} outlived its attempt`);
    for (const t of tasks.values()) {
      for (const att of await hive.attempts(t.id)) if (att.pid !== null) assert.equal(isProcessAlive(att.pid, att.pidStart), false, `${t.title}: pid ${att.pid}`);
    }
  } finally {
    unlisten();
    await cleanup();
  }
});

test('a retried task with metadata resume: true continues the failed attempt’s session', async () => {
  const { hive, dir, cleanup } = await testHive({ env: { ...process.env, PATH } });
  try {
    const file = join(dir, 'hive.yaml');
    writeFileSync(file, 'agents:\n  claude: { runtime: claude-code, capabilities: [claude] }\n  codex: { runtime: codex, capabilities: [codex] }\n');
    for (const spec of loadConfig({ config: file }, {}, dir).agents) await hive.registerAgent(spec);
    await hive.start();
    const [claude, codex] = await hive.submit(
      ['claude', 'codex'].map((a) => ({ title: a, prompt: 'fail-first', capabilities: [a], maxAttempts: 2, backoffMs: 10, backoffCapMs: 10, metadata: { resume: true } })),
    );
    await waitFinal(hive, [claude.task.id, codex.task.id]);
    for (const [t, session] of [
      [claude.task, '9d8c7b6a-5e4f-4321-9abc-def012345678'],
      [codex.task, '0199c000-0000-7000-8000-000000000003'],
    ] as const) {
      const done = await hive.getTask(t.id);
      assert.equal(done.status, 'completed', done.error ?? '');
      const attempts = await hive.attempts(t.id);
      assert.deepEqual(attempts.map((x) => x.status), ['failed', 'completed']);
      const log = readFileSync(attempts[1].logPath!, 'utf8');
      assert.ok(log.includes(t.title === 'claude' ? `"--resume","${session}"` : `"resume","${session}","fail-first"`), log.split('\n')[0]);
      assert.equal((done.result as PresetResult).resumedSession, session);
      assert.equal((done.result as PresetResult).sessionId, session);
    }
  } finally {
    await cleanup();
  }
});
