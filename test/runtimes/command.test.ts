import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HiveError } from '../../src/core/errors.js';
import type { RunOutcome, RunRequest, RuntimeSettings } from '../../src/core/runtime.js';
import type { Agent, RuntimeSpec } from '../../src/core/types.js';
import { createCommandRuntime } from '../../src/runtimes/command/index.js';
import { compileCommand, shellQuote } from '../../src/runtimes/command/template.js';
import { LineSplitter } from '../../src/runtimes/lines.js';
import { filterEnv, isProcessAlive, readPidStart } from '../../src/runtimes/process.js';
import {
  Events,
  fixture,
  HOSTILE_PROMPT,
  HostLog,
  makeAgent,
  makeRequest,
  makeTask,
  NODE,
  runRuntimeSuite,
  SETTINGS,
  withRuntime,
  withTempDir,
} from '../contract/runtime.suite.js';

runRuntimeSuite('command', (b) => ({ spec: { kind: 'command', command: [NODE, fixture(`${b}.mjs`), '{prompt}'] }, factory: createCommandRuntime }), {
  pid: 'attempt',
});

interface Ran {
  o: RunOutcome;
  events: Events;
  dir: string;
  req: RunRequest;
}

/** Runs one attempt of a command agent in a fresh temp dir; `check` sees the outcome before the dir is removed. */
async function runCommand(
  runtime: RuntimeSpec,
  check: (r: Ran) => Promise<void> | void,
  opts: { req?: Partial<RunRequest>; agent?: Partial<Agent>; settings?: RuntimeSettings } = {},
): Promise<void> {
  await withTempDir(async (dir) => {
    const agent = makeAgent(runtime, opts.agent);
    await withRuntime(
      createCommandRuntime,
      agent,
      async (rt) => {
        const events = new Events();
        const req = makeRequest(dir, agent, opts.req);
        const o = await rt.run(req, events.emit);
        await check({ o, events, dir, req });
      },
      opts.settings,
    );
  });
}

const ARGV = (o: RunOutcome): unknown => (o.result as { argv: unknown }).argv;

describe('command runtime', () => {
  describe('templates', () => {
    it('passes a hostile prompt verbatim as one argument, whichever way the command runs', async () => {
      const env = fixture('env.mjs');
      const forms: RuntimeSpec[] = [
        { kind: 'command', command: `${NODE} ${env} {prompt} --after`, shell: true },
        { kind: 'command', command: `${NODE} ${env} {prompt} --after 2>/dev/null` },
        { kind: 'command', command: `${NODE} ${env} {prompt} --after` },
        { kind: 'command', command: `${NODE} ${env} {prompt} --after`, shell: false },
        { kind: 'command', command: [NODE, env, '{prompt}', '--after'] },
      ];
      for (const spec of forms) {
        await runCommand(
          spec,
          ({ o }) => {
            assert.equal(o.ok, true, o.error);
            assert.deepEqual(ARGV(o), [HOSTILE_PROMPT, '--after'], JSON.stringify(spec));
          },
          { req: { task: makeTask({ prompt: HOSTILE_PROMPT }) } },
        );
      }
    });

    it('substitutes every placeholder inside words and leaves unknown ones as written', async () => {
      const spec: RuntimeSpec = { kind: 'command', command: [NODE, fixture('env.mjs'), 'id={task.id}', '{task.title}', 'a{attempt}', '{agent}', '{workdir}', '{nope}'] };
      await runCommand(
        spec,
        ({ o, req }) => assert.deepEqual(ARGV(o), [`id=${req.task.id}`, 'Fix the "bug"', 'a2', 'tester', req.workdir, '{nope}']),
        { req: { attempt: 2, task: makeTask({ title: 'Fix the "bug"' }) } },
      );
    });

    it('runs a plain string command directly and anything shell-like through /bin/sh', () => {
      const vars = { prompt: 'a b', agent: 'x' };
      assert.deepEqual(compileCommand('/bin/true').argv(vars), ['/bin/true']);
      assert.equal(compileCommand('/bin/true').dynamic, false);
      assert.deepEqual(compileCommand('claude -p {prompt}  --agent={agent}').argv(vars), ['claude', '-p', 'a b', '--agent=x']);
      assert.deepEqual(compileCommand('echo {prompt} | wc -c').argv(vars), ['/bin/sh', '-c', `echo 'a b' | wc -c`]);
      for (const shellish of ['cd /tmp', 'exit 3', 'FOO=1 prog', 'echo $HOME', 'ls *.ts', 'a && b', 'echo {unknown}']) {
        assert.equal(compileCommand(shellish).shell, true, shellish);
      }
      assert.equal(compileCommand('prog', true).shell, true);
      assert.deepEqual(compileCommand('grep -r *.ts {prompt}', false).argv(vars), ['grep', '-r', '*.ts', 'a b']);
      assert.equal(shellQuote(`it's`), `'it'\\''s'`);
      assert.throws(() => compileCommand('  '), (err: unknown) => err instanceof HiveError && err.code === 'VALIDATION_FAILED');
      assert.throws(() => compileCommand([]), (err: unknown) => err instanceof HiveError && err.code === 'VALIDATION_FAILED');
    });

    it('fails start() and runs with SPAWN_FAILED for an empty command', async () => {
      const agent = makeAgent({ kind: 'command', command: '' });
      const rt = createCommandRuntime(agent, new HostLog(), SETTINGS);
      await assert.rejects(rt.start(), (err: unknown) => err instanceof HiveError && err.code === 'SPAWN_FAILED');
      assert.equal((await rt.run(makeRequest('/nonexistent', agent), () => {})).code, 'SPAWN_FAILED');
    });
  });

  describe('environment and working directory', () => {
    it('gives the program the base env, the agent env and the HIVE_* vars, and nothing else of the orchestrator', async () => {
      process.env.HIVE_TEST_LEAK = 'leaked';
      try {
        const settings = { ...SETTINGS, baseEnv: filterEnv({ ...process.env, ANTHROPIC_API_KEY: 'sk-secret' }) };
        await runCommand(
          { kind: 'command', command: [NODE, fixture('env.mjs')] },
          ({ o, req }) => {
            const env = (o.result as { env: Record<string, string> }).env;
            assert.equal(env.HIVE_TASK_ID, String(req.task.id));
            assert.equal(env.HIVE_ATTEMPT, '1');
            assert.equal(env.HIVE_AGENT, 'tester');
            assert.equal(env.AGENT_SETTING, 'from-agent');
            assert.equal(env.PATH, process.env.PATH);
            assert.equal(env.ANTHROPIC_API_KEY, undefined);
            assert.equal(env.HIVE_TEST_LEAK, undefined);
          },
          { settings, agent: { env: { AGENT_SETTING: 'from-agent' } } },
        );
      } finally {
        delete process.env.HIVE_TEST_LEAK;
      }
    });

    it('runs in the attempt’s workdir, creating it when missing', async () => {
      await withTempDir(async (base) => {
        const workdir = join(base, 'deep', 'new', 'dir');
        await runCommand({ kind: 'command', command: [NODE, fixture('env.mjs')] }, ({ o }) => assert.equal((o.result as { cwd: string }).cwd, workdir), {
          req: { workdir },
        });
      });
    });
  });

  describe('output', () => {
    it('writes stdout and stderr to the log file and emits a log event per line', async () => {
      await runCommand({ kind: 'command', command: [NODE, fixture('ok.mjs'), 'hi'] }, async ({ o, events, req }) => {
        assert.equal(o.ok, true);
        const log = await readFile(req.logPath!, 'utf8');
        for (const line of ['working on it', 'a note on stderr', '{"echo":"hi"}']) assert.ok(log.includes(`${line}\n`), `log holds ${line}`);
        assert.ok(events.of('log').some((e) => e.stream === 'stderr' && e.line === 'a note on stderr'));
        assert.ok(events.of('log').some((e) => e.stream === 'stdout' && e.line === 'working on it'));
      });
    });

    it('keeps no log file when logPath is null', async () => {
      await runCommand({ kind: 'command', command: [NODE, fixture('ok.mjs'), 'hi'] }, ({ o, dir }) => {
        assert.equal(o.ok, true);
        assert.equal(existsSync(join(dir, 'logs')), false);
      }, { req: { logPath: null } });
    });

    it('takes the last stdout line that is a JSON object or array as the result', async () => {
      const script = `printf '{"a":1}\\n[2,3]\\n"str"\\n42\\ntrue\\nplain\\n'`;
      await runCommand({ kind: 'command', command: script }, ({ o }) => {
        assert.deepEqual(o.result, [2, 3]);
        assert.equal(o.output, undefined);
      });
    });

    it('takes a last line without a newline too', async () => {
      await runCommand({ kind: 'command', command: `printf 'x\\n{"last":true}'` }, ({ o }) => assert.deepEqual(o.result, { last: true }));
    });

    it('gives the stdout tail as output when there is no JSON result', async () => {
      await runCommand({ kind: 'command', command: `printf 'line one\\n42\\ntrue\\n'` }, ({ o }) => {
        assert.equal(o.result, undefined);
        assert.equal(o.output, 'line one\n42\ntrue');
      });
      const settings = { ...SETTINGS, outputTailBytes: 9 };
      await runCommand({ kind: 'command', command: `printf 'abcdefghij\\nklmnop\\n'` }, ({ o }) => assert.equal(o.output, 'j\nklmnop'), { settings });
    });

    it('turns hive protocol lines into progress and usage events, never into the result', async () => {
      const script = `printf '{"hive":"progress","pct":10}\\n{"x":1}\\n{"hive":"usage","input_tokens":3}\\n{"hive":"future-kind"}\\n'`;
      await runCommand({ kind: 'command', command: script }, ({ o, events }) => {
        assert.deepEqual(o.result, { x: 1 });
        assert.equal(events.of('progress')[0]?.pct, 10);
        assert.deepEqual(
          events.of('usage').map((e) => e.usage),
          [{ inputTokens: 3 }],
        );
      });
    });

    it('splits lines across chunks without breaking UTF-8 characters', () => {
      const lines: string[] = [];
      const split = new LineSplitter((l) => lines.push(l));
      const bytes = Buffer.from('héllo wörld\r\nsecond ✓\nthird');
      for (let i = 0; i < bytes.length; i += 3) split.push(bytes.subarray(i, i + 3));
      split.end();
      assert.deepEqual(lines, ['héllo wörld', 'second ✓', 'third']);
    });
  });

  describe('failures', () => {
    it('reports a non-zero exit with its code and the last stderr line', async () => {
      await runCommand({ kind: 'command', command: [NODE, fixture('fail.mjs')] }, ({ o }) => {
        assert.deepEqual([o.ok, o.code, o.exitCode, o.signal, o.error], [false, 'TASK_FAILED', 3, null, 'exit code 3: boom']);
        assert.equal(o.output, 'trying');
      });
    });

    it('reports death by a signal', async () => {
      await runCommand({ kind: 'command', command: 'kill -KILL $$' }, ({ o }) => {
        assert.deepEqual([o.ok, o.code, o.exitCode, o.signal], [false, 'TASK_FAILED', null, 'SIGKILL']);
      });
    });

    it('reports SPAWN_FAILED, naming the program, when it cannot be started', async () => {
      await withTempDir(async (dir) => {
        const notExecutable = join(dir, 'script.sh');
        await writeFile(notExecutable, '#!/bin/sh\necho hi\n', { mode: 0o644 });
        const cases: [Extract<RuntimeSpec, { kind: "command" }>, RegExp][] = [
          [{ kind: 'command', command: ['/nonexistent/agent', '{prompt}'] }, /"\/nonexistent\/agent": no such file/],
          [{ kind: 'command', command: 'no-such-program-hive {prompt}' }, /"no-such-program-hive": no such file/],
          [{ kind: 'command', command: 'no-such-program-hive {prompt} >/dev/null' }, /could not start.*127.*not found/],
          [{ kind: 'command', command: [notExecutable] }, /permission denied/],
          [{ kind: 'command', command: ['/bin/echo', '{prompt}'] }, /cannot start "\/bin\/echo"/],
        ];
        for (const [spec, message] of cases) {
          await runCommand(
            spec,
            ({ o, events }) => {
              assert.equal(o.code, 'SPAWN_FAILED', JSON.stringify(spec));
              assert.match(o.error ?? '', message);
              if (spec.command.includes('>/dev/null')) assert.equal(events.of('started').length, 1);
              else assert.equal(events.of('started').length, 0);
            },
            { req: { task: makeTask({ prompt: spec.command[0] === '/bin/echo' ? 'NUL \0 byte' : 'p' }) } },
          );
        }
      });
    });

    it('reports SPAWN_FAILED when the workdir cannot be created (and does not spin on a dangling symlink)', async () => {
      await withTempDir(async (base) => {
        await writeFile(join(base, 'a-file'), '');
        await symlink(join(base, 'nowhere'), join(base, 'dangling'));
        for (const workdir of [join(base, 'a-file', 'work'), join(base, 'dangling', 'work')]) {
          await runCommand(
            { kind: 'command', command: '/bin/true' },
            ({ o }) => {
              assert.equal(o.code, 'SPAWN_FAILED');
              assert.match(o.error ?? '', /cannot create the workdir/);
            },
            { req: { workdir } },
          );
        }
      });
    });

    it('still runs the attempt when its log file cannot be written, and says so', async () => {
      await withTempDir(async (base) => {
        await symlink(join(base, 'nowhere'), join(base, 'dangling'));
        await runCommand(
          { kind: 'command', command: [NODE, fixture('ok.mjs'), 'x'] },
          ({ o, events }) => {
            assert.equal(o.ok, true);
            assert.ok(events.lines().some((l) => l.startsWith('hive: cannot write log')));
          },
          { req: { logPath: join(base, 'dangling', 'logs', '1.log') } },
        );
      });
    });
  });

  describe('process group', () => {
    it('kills a background grandchild once the program exits, without waiting for the pipe it holds', async () => {
      let grandchild: { pid: number; start: number | null } | null = null;
      await withTempDir(async (dir) => {
        const agent = makeAgent({ kind: 'command', command: ['/bin/sh', fixture('grandchild.sh')] });
        await withRuntime(createCommandRuntime, agent, async (rt) => {
          const o = await rt.run(makeRequest(dir, agent), (e) => {
            // read its start time while it surely runs, so the check below cannot be fooled by pid reuse
            if (e.type === 'log' && e.line.includes('grandchild')) {
              const pid = (JSON.parse(e.line) as { grandchild: number }).grandchild;
              grandchild = { pid, start: readPidStart(pid) };
            }
          });
          assert.equal(o.ok, true, o.error);
        });
      });
      const { pid, start } = grandchild as unknown as { pid: number; start: number | null };
      assert.ok(start !== null, 'the grandchild ran');
      assert.equal(isProcessAlive(pid, start), false, `grandchild ${pid} outlived its attempt`);
    });

    it('SIGKILLs a program that ignores SIGTERM once the grace has passed', async () => {
      let started: { pid?: number; pidStart?: number | null } = {};
      await withTempDir(async (dir) => {
        const agent = makeAgent({ kind: 'command', command: [NODE, fixture('hang.mjs'), '--ignore-term'] });
        await withRuntime(createCommandRuntime, agent, async (rt) => {
          const events = new Events();
          const pending = rt.run(makeRequest(dir, agent, { timeoutMs: 1_000 }), events.emit);
          started = await events.first('started');
          const o = await pending;
          assert.equal(o.code, 'TIMEOUT');
          assert.equal(o.signal, 'SIGKILL');
          assert.ok(events.lines().includes('hanging'));
        });
      });
      assert.equal(isProcessAlive(started.pid!, started.pidStart ?? null), false);
    });
  });
});
