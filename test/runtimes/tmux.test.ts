import assert from 'node:assert/strict';
import { LazyAbort } from '../../src/core/abort.js';
import { HiveError } from '../../src/core/errors.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import type { RunOutcome, RunRequest } from '../../src/core/runtime.js';
import type { Agent, AgentLimits, RuntimeSpec } from '../../src/core/types.js';
import { createCommandRuntime } from '../../src/runtimes/command/index.js';
import type { PresetResult } from '../../src/runtimes/presets/output.js';
import { createPresetRuntime } from '../../src/runtimes/presets/runtime.js';
import { filterEnv, findProcessesWithEnv, isProcessAlive } from '../../src/runtimes/process.js';
import { encodeFrame, FRAME, FrameDecoder } from '../../src/runtimes/tmux/frames.js';
import { tmuxAttachArgv, tmuxSessionName, tmuxSocketPath } from '../../src/runtimes/tmux/names.js';
import { Events, fixture, makeAgent, makeRequest, makeTask, NODE, SETTINGS, withRuntime, withTempDir } from '../contract/runtime.suite.js';

/**
 * `tmux: true` with the real tmux (Debian package `tmux`; .ci/run installs it): every attempt runs in its own
 * session on the data directory's private tmux server, and behaves as it does without tmux.
 */

const FAKE_CLIS = fileURLToPath(new URL('../../../test/fixtures/fake-clis/', import.meta.url));
const FAKE_PATH = `${FAKE_CLIS}:${dirname(NODE)}:${process.env.PATH ?? ''}`;
const LIMITS: AgentLimits = { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 };

function tmux(socket: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
}

const hasSession = (socket: string, session: string): boolean => tmux(socket, 'has-session', '-t', `=${session}`).status === 0;

interface Ran {
  o: RunOutcome;
  events: Events;
  req: RunRequest;
  log: string;
  dir: string;
}

/**
 * One attempt of `agent` in a fresh temp dir, which is also the data directory (HIVE_DATA_DIR, so the socket
 * is DIR/tmux.sock). `during` runs once the program has started, beside the attempt.
 */
async function runIn(
  agent: Agent,
  opts: { prompt?: string; req?: Partial<RunRequest>; during?: (ctx: { dir: string; req: RunRequest; events: Events; pid: number; abort: LazyAbort }) => Promise<void> } = {},
): Promise<Ran> {
  return withTempDir(async (dir) =>
    withRuntime(agent.runtime.kind === 'command' ? createCommandRuntime : createPresetRuntime, agent, async (rt) => {
      const events = new Events();
      const abort = new LazyAbort();
      const task = makeTask({ prompt: opts.prompt ?? 'hello' });
      const base = makeRequest(dir, agent, { task });
      const req = makeRequest(dir, agent, { task, abort: abort, ...opts.req, env: { ...base.env, HIVE_DATA_DIR: dir, ...opts.req?.env } });
      const running = rt.run(req, events.emit);
      if (opts.during) {
        try {
          const started = await events.first('started');
          await opts.during({ dir, req, events, pid: started.pid!, abort });
        } catch (err) {
          abort.abort(new HiveError('CANCELLED', 'the test ended')); // never leave the agent running
          await running;
          throw err;
        }
      }
      const o = await running;
      let log = '';
      try {
        log = readFileSync(req.logPath!, 'utf8');
      } catch {
        // no log
      }
      return { o, events, req, log, dir };
    }),
  );
}

const tmuxAgent = (runtime: RuntimeSpec, over: Partial<Agent> = {}): Agent => makeAgent({ ...runtime, tmux: true } as RuntimeSpec, over);

/**
 * The agent process of an attempt: it carries HIVE_DATA_DIR (the test's own temp dir) and the task's
 * HIVE_TASK_ID; the pane program and the tmux server have only the first (the tmux server's environment).
 */
function agentPids(req: RunRequest): number[] {
  const ours = new Set(findProcessesWithEnv('HIVE_DATA_DIR', req.env.HIVE_DATA_DIR));
  return findProcessesWithEnv('HIVE_TASK_ID', String(req.task.id)).filter((p) => ours.has(p));
}

function pgrp(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(() => {
  const v = spawnSync('tmux', ['-V'], { encoding: 'utf8' });
  assert.equal(v.status, 0, 'these tests need tmux (Debian/Ubuntu: apt-get install tmux; .ci/run installs it)');
});

describe('tmux runtime', () => {
  it('a command agent in tmux: every stdout and stderr line reaches the log, the outcome has exit code 3', async () => {
    const script = 'for (let i = 0; i < 300; i++) { console.log(`line ${i} ` + "x".repeat(i)); if (i % 50 === 0) console.error(`err ${i}`); } process.exitCode = 3;';
    const { o, events, log, dir, req } = await runIn(tmuxAgent({ kind: 'command', command: [NODE, '-e', script] }));
    assert.equal(o.ok, false);
    assert.equal(o.exitCode, 3);
    assert.equal(o.signal, null);
    assert.equal(o.code, 'TASK_FAILED');
    assert.equal(o.error, 'exit code 3: err 250');
    const stdout = events.of('log').filter((e) => e.stream === 'stdout').map((e) => e.line);
    assert.deepEqual(stdout, Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(i)}`), 'every stdout line, in order, as one log event each');
    assert.deepEqual(events.of('log').filter((e) => e.stream === 'stderr').map((e) => e.line), ['err 0', 'err 50', 'err 100', 'err 150', 'err 200', 'err 250']);
    for (let i = 0; i < 300; i++) assert.ok(log.includes(`line ${i} ${'x'.repeat(i)}\n`), `the log holds line ${i}`);
    assert.ok(log.includes('err 250\n'));
    assert.equal(hasSession(tmuxSocketPath(dir), tmuxSessionName('tester', req.task.id, 1)), false, 'the session is gone');
  });

  it('the last JSON line is the result; protocol lines give usage; exit 0 succeeds', async () => {
    const { o, events } = await runIn(tmuxAgent({ kind: 'command', command: `echo working on {prompt}; echo '{"hive":"usage","input_tokens":5,"output_tokens":2}'; echo '{"answer":42}'`, shell: true }), {
      prompt: `say "hi" $(echo nope)`,
    });
    assert.equal(o.ok, true, o.error);
    assert.equal(o.exitCode, 0);
    assert.deepEqual(o.result, { answer: 42 });
    assert.ok(events.lines().includes('working on say "hi" $(echo nope)'));
    assert.deepEqual(events.of('usage').map((e) => e.usage), [{ inputTokens: 5, outputTokens: 2 }]);
  });

  it('while it runs: the session exists, capture-pane shows the output, the pid leads the agent group and the agent carries HIVE_DATA_DIR; cancel ends them all', async () => {
    let seen: { agent: number; pid: number; session: string; socket: string; req: RunRequest } | null = null;
    const { o } = await runIn(tmuxAgent({ kind: 'command', command: [NODE, fixture('hang.mjs')] }), {
      during: async ({ dir, req, events, pid, abort }) => {
        const socket = tmuxSocketPath(dir);
        const session = tmuxSessionName('tester', req.task.id, 1);
        assert.equal(socket, join(dir, 'tmux.sock'));
        await events.first('log');
        assert.ok(hasSession(socket, session), `session ${session} runs`);
        // what a person who attaches sees
        await waitUntil(() => tmux(socket, 'capture-pane', '-p', '-t', `=${session}:`).stdout.includes('hanging'), 5_000, 'the pane to show the output');
        const agents = agentPids(req);
        assert.equal(agents.length, 1, 'one agent process');
        assert.equal(pgrp(agents[0]), pid, "started names the leader of the agent's process group");
        assert.ok(readFileSync(`/proc/${agents[0]}/environ`, 'utf8').split('\0').includes(`HIVE_DATA_DIR=${dir}`), 'crash recovery finds the agent by HIVE_DATA_DIR');
        seen = { agent: agents[0], pid, session, socket, req };
        abort.abort(new HiveError('CANCELLED', 'the test ended'));
      },
    });
    assert.equal(o.code, 'CANCELLED');
    assert.ok(seen);
    const s = seen as unknown as { agent: number; pid: number; session: string; socket: string; req: RunRequest };
    assert.equal(hasSession(s.socket, s.session), false, 'the session is gone');
    assert.equal(isProcessAlive(s.agent, null), false, 'the agent is gone');
    assert.equal(isProcessAlive(s.pid, null), false, 'the pane process is gone');
    assert.deepEqual(agentPids(s.req), [], 'no process of the task is left');
  });

  it('a person killing the session (tmux kill-session) ends the attempt: killed by SIGHUP, nothing left', async () => {
    let req: RunRequest | null = null;
    const { o } = await runIn(tmuxAgent({ kind: 'command', command: [NODE, fixture('hang.mjs'), '--ignore-term'] }), {
      during: async (ctx) => {
        await ctx.events.first('log');
        req = ctx.req;
        assert.equal(tmux(tmuxSocketPath(ctx.dir), 'kill-session', '-t', `=${tmuxSessionName('tester', ctx.req.task.id, 1)}`).status, 0);
      },
    });
    assert.equal(o.ok, false);
    assert.equal(o.code, 'TASK_FAILED');
    assert.equal(o.signal, 'SIGHUP');
    assert.match(o.error ?? '', /^killed by SIGHUP/);
    assert.deepEqual(agentPids(req!), []);
  });

  it('a timeout kills an agent that ignores SIGTERM, and its session', async () => {
    let seen: { agent: number; session: string; socket: string } | null = null;
    const t0 = Date.now();
    const { o } = await runIn(tmuxAgent({ kind: 'command', command: [NODE, fixture('hang.mjs'), '--ignore-term'] }), {
      req: { timeoutMs: 1_000 },
      during: async ({ dir, req, events }) => {
        await events.first('log');
        seen = { agent: agentPids(req)[0], session: tmuxSessionName('tester', req.task.id, 1), socket: tmuxSocketPath(dir) };
      },
    });
    assert.equal(o.code, 'TIMEOUT');
    assert.ok(Date.now() - t0 < 8_000);
    const s = seen as unknown as { agent: number; session: string; socket: string };
    assert.equal(isProcessAlive(s.agent, null), false, 'SIGKILL after the grace');
    assert.equal(hasSession(s.socket, s.session), false);
  });

  it('the idle watchdog sees the output that comes through tmux', async () => {
    const quiet = await runIn(tmuxAgent({ kind: 'command', command: [NODE, '-e', "console.log('once'); setInterval(() => {}, 60000)"] }, { limits: { ...LIMITS, idleTimeoutMs: 800 } }));
    assert.equal(quiet.o.code, 'IDLE_TIMEOUT');
    // printing every 100 ms for 2 s, longer than the idle timeout: never idle
    const chatty = await runIn(
      tmuxAgent({ kind: 'command', command: [NODE, '-e', 'let n = 0; const t = setInterval(() => { console.log(`tick ${n++}`); if (n === 20) clearInterval(t); }, 100)'] }, { limits: { ...LIMITS, idleTimeoutMs: 800 } }),
    );
    assert.equal(chatty.o.ok, true, chatty.o.error);
    assert.equal(chatty.events.lines().filter((l) => l.startsWith('tick ')).length, 20);
  });

  it('the agent gets exactly its environment (allow-listed base, agent env, HIVE_*), never the tmux server’s', async () => {
    await withTempDir(async (dir) => {
      // a server started first by someone else, with a variable of its own: panes inherit the server's environment
      const socket = tmuxSocketPath(dir);
      const keeper = spawnSync('tmux', ['-S', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'keeper', 'sleep 60'], { env: { ...process.env, HIVE_TMUX_LEAK: 'server-only' } });
      assert.equal(keeper.status, 0, String(keeper.stderr));
      try {
        process.env.HIVE_TMUX_RUNNER_ONLY = 'runner-only';
        const settings = { ...SETTINGS, baseEnv: filterEnv(process.env) };
        const agent = tmuxAgent({ kind: 'command', command: [NODE, fixture('env.mjs')] }, { env: { AGENT_SECRET: 's3cret' } });
        await withRuntime(
          createCommandRuntime,
          agent,
          async (rt) => {
            const events = new Events();
            const req = makeRequest(dir, agent);
            req.env = { ...req.env, HIVE_DATA_DIR: dir };
            const o = await rt.run(req, events.emit);
            assert.equal(o.ok, true, o.error);
            const r = o.result as { env: Record<string, string>; cwd: string };
            assert.equal(r.env.HIVE_DATA_DIR, dir);
            for (const name of ['HIVE_TMUX_LEAK', 'HIVE_TMUX_RUNNER_ONLY', 'TMUX', 'TMUX_PANE']) assert.equal(r.env[name], undefined, name);
            assert.deepEqual(r.env, { ...settings.baseEnv, AGENT_SECRET: 's3cret', ...req.env });
            assert.equal(r.cwd, req.workdir);
          },
          settings,
        );
      } finally {
        delete process.env.HIVE_TMUX_RUNNER_ONLY;
        tmux(socket, 'kill-server');
      }
    });
  });

  it('a program that cannot be started is SPAWN_FAILED with the same message as without tmux', async () => {
    const spec: RuntimeSpec = { kind: 'command', command: ['/nonexistent/agent', 'x'] };
    const plain = await runIn(makeAgent(spec));
    const inTmux = await runIn(tmuxAgent(spec));
    assert.equal(inTmux.o.code, 'SPAWN_FAILED');
    assert.equal(inTmux.o.error, plain.o.error);
    assert.equal(inTmux.events.of('started').length, 0);
    assert.equal(hasSession(tmuxSocketPath(inTmux.dir), tmuxSessionName('tester', inTmux.req.task.id, 1)), false);
  });

  it('a preset (fake claude) in tmux reports the same result, usage and log lines as without', async () => {
    const limits = { ...LIMITS, idleTimeoutMs: 5_000, exitGraceMs: 1_000 };
    const plain = await runIn(makeAgent({ kind: 'claude-code' }, { env: { PATH: FAKE_PATH }, limits }), { prompt: 'change the greeting' });
    const inTmux = await runIn(makeAgent({ kind: 'claude-code', tmux: true }, { env: { PATH: FAKE_PATH }, limits }), { prompt: 'change the greeting' });
    assert.equal(inTmux.o.ok, true, inTmux.o.error);
    assert.deepEqual(inTmux.o.result as PresetResult, plain.o.result as PresetResult);
    assert.deepEqual(
      inTmux.events.of('usage').map((e) => e.usage),
      plain.events.of('usage').map((e) => e.usage),
    );
    assert.ok((inTmux.o.result as PresetResult).usage!.costUsd > 0);
    const stdout = (r: Ran): string[] => r.events.of('log').filter((e) => e.stream === 'stdout').map((e) => e.line);
    assert.deepEqual(stdout(inTmux), stdout(plain));
  });

  it('start() fails with SPAWN_FAILED when tmux cannot run', async () => {
    const agent = tmuxAgent({ kind: 'command', command: ['true'] });
    const rt = createCommandRuntime(agent, { onAgentStatus: () => {} }, { ...SETTINGS, baseEnv: { PATH: '/nonexistent' } });
    await assert.rejects(rt.start(), (err: Error & { code?: string }) => err.code === 'SPAWN_FAILED' && /tmux: true, but tmux is not installed/.test(err.message));
  });
});

describe('tmux names and frames', () => {
  it('session names, sockets and the attach command', () => {
    assert.equal(tmuxSessionName('coder.v2', 12, 3), 'hive-coder_v2-12-3');
    assert.equal(tmuxSocketPath('/srv/hive/.hive'), '/srv/hive/.hive/tmux.sock');
    const long = `/tmp/${'d'.repeat(120)}`;
    assert.match(tmuxSocketPath(long), /^\/tmp\/hive-tmux-[^/]+\/[0-9a-f]{16}\.sock$/);
    assert.equal(tmuxSocketPath(long), tmuxSocketPath(long), 'the same for the runtime and hive attach');
    assert.deepEqual(tmuxAttachArgv('/d/tmux.sock', 'hive-a-1-1'), ['tmux', '-S', '/d/tmux.sock', 'attach-session', '-r', '-t', '=hive-a-1-1']);
  });

  it('frames survive any split of the file', () => {
    const bytes = Buffer.concat([
      encodeFrame(FRAME.started, '123'),
      encodeFrame(FRAME.stdout, Buffer.from('héllo\nwörld\n')),
      encodeFrame(FRAME.stderr, ''),
      encodeFrame(FRAME.exit, JSON.stringify({ code: 3, signal: null })),
    ]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const d = new FrameDecoder();
      const frames = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      assert.deepEqual(
        frames.map((f) => [f.type, f.payload.toString('utf8')]),
        [
          [FRAME.started, '123'],
          [FRAME.stdout, 'héllo\nwörld\n'],
          [FRAME.stderr, ''],
          [FRAME.exit, '{"code":3,"signal":null}'],
        ],
      );
    }
  });
});
