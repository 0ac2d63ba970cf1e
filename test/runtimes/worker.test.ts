import assert from 'node:assert/strict';
import { LazyAbort } from '../../src/core/abort.js';
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { HiveError } from '../../src/core/errors.js';
import type { RuntimeSettings } from '../../src/core/runtime.js';
import type { Agent } from '../../src/core/types.js';
import { filterEnv, isProcessAlive } from '../../src/runtimes/process.js';
import { createWorkerRuntime } from '../../src/runtimes/worker/index.js';
import { parseWorkerMessage, type WorkerMessage } from '../../src/runtimes/worker/protocol.js';
import { runWorker } from '../../src/runtimes/worker/sdk.js';
import { Events, fixture, HostLog, makeAgent, makeRequest, makeTask, NODE, runRuntimeSuite, SETTINGS, withRuntime, withTempDir } from '../contract/runtime.suite.js';

runRuntimeSuite('worker', (b) => ({ spec: { kind: 'worker', command: [NODE, fixture('sdk-worker.mjs'), b], heartbeatMs: 1_000 }, factory: createWorkerRuntime }), {
  pid: 'worker',
});

const sdkWorker = (over: Partial<Agent> = {}, heartbeatMs = 1_000): Agent =>
  makeAgent({ kind: 'worker', command: [NODE, fixture('sdk-worker.mjs')], heartbeatMs }, over);

/** Runs `fn` with a started worker runtime and a temp dir. */
function withWorker(agent: Agent, fn: (ctx: { rt: ReturnType<typeof createWorkerRuntime>; host: HostLog; dir: string }) => Promise<void>, settings?: RuntimeSettings) {
  return withTempDir((dir) => withRuntime(createWorkerRuntime, agent, (rt, host) => fn({ rt, host, dir }), settings));
}

const until = async (check: () => boolean, what: string, ms = 3_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('worker runtime', () => {
  it('restarts a worker that crashed mid-task: WORKER_EXITED, then the next task runs on a new process', async () => {
    const agent = sdkWorker();
    await withWorker(agent, async ({ rt, host, dir }) => {
      const events = new Events();
      const o = await rt.run(makeRequest(dir, agent, { task: makeTask({ metadata: { mode: 'crash' } }) }), events.emit);
      assert.equal(o.ok, false);
      assert.equal(o.code, 'WORKER_EXITED');
      assert.equal(o.exitCode, 7);
      assert.match(o.error ?? '', /exited with code 7: dying/);
      const crashed = (await events.first('started')).pid!;
      assert.equal(isProcessAlive(crashed, null), false);

      const next = await rt.run(makeRequest(dir, agent, { task: makeTask({ metadata: { mode: 'info' } }) }), () => {});
      assert.equal(next.ok, true, next.error);
      const pid = (next.result as { pid: number }).pid;
      assert.notEqual(pid, crashed);
      assert.deepEqual(
        host.statuses.map((s) => s.status),
        ['error', 'active'],
      );
      assert.match(host.statuses[0].reason ?? '', /code 7/);
    });
  });

  it('kills a worker that stops sending heartbeats: HEARTBEAT_LOST, then restarts it', async () => {
    const agent = makeAgent({ kind: 'worker', command: [NODE, fixture('no-heartbeat-worker.mjs')], heartbeatMs: 100 });
    await withWorker(agent, async ({ rt, host, dir }) => {
      const events = new Events();
      const t0 = Date.now();
      const o = await rt.run(makeRequest(dir, agent), events.emit);
      assert.equal(o.code, 'HEARTBEAT_LOST');
      assert.match(o.error ?? '', /sent nothing for 300 ms/);
      assert.ok(Date.now() - t0 < 2_000);
      const started = await events.first('started');
      assert.equal(isProcessAlive(started.pid!, started.pidStart ?? null), false);
      await until(() => host.statuses.some((s) => s.status === 'active'), 'the restart');
      assert.equal(host.statuses[0].status, 'error');
    });
  });

  it('logs and ignores malformed and unknown lines, and keeps serving', async () => {
    const agent = makeAgent({ kind: 'worker', command: [NODE, fixture('raw-worker.mjs'), 'garbage'], heartbeatMs: 1_000 });
    await withWorker(agent, async ({ rt, dir }) => {
      const events = new Events();
      const req = makeRequest(dir, agent);
      const o = await rt.run(req, events.emit);
      assert.equal(o.ok, true, o.error);
      assert.deepEqual(o.result, { survived: true });
      const lines = events.lines();
      for (const junk of ['plain text, not JSON', '{"type":"result", broken json', '[1,2,3]']) assert.ok(lines.includes(junk), `logged ${junk}`);
      assert.ok(lines.some((l) => l.includes('mystery')));
      const log = await readFile(req.logPath!, 'utf8');
      assert.ok(log.includes('plain text, not JSON\n'));
      const again = await rt.run(makeRequest(dir, agent, { task: makeTask() }), () => {});
      assert.equal(again.ok, true);
    });
  });

  it('writes the attempt’s log lines to its log file', async () => {
    const agent = sdkWorker();
    await withWorker(agent, async ({ rt, dir }) => {
      const req = makeRequest(dir, agent);
      assert.equal((await rt.run(req, () => {})).ok, true);
      assert.equal(await readFile(req.logPath!, 'utf8'), 'working\n');
    });
  });

  it('sends the task’s env with the task and starts the worker with the base and agent env only', async () => {
    process.env.HIVE_TEST_LEAK = 'leaked';
    try {
      const agent = sdkWorker({ env: { AGENT_SETTING: 'yes' } });
      const settings = { ...SETTINGS, baseEnv: filterEnv({ ...process.env, OPENAI_API_KEY: 'sk-secret' }) };
      await withWorker(
        agent,
        async ({ rt, dir }) => {
          const req = makeRequest(dir, agent, { task: makeTask({ metadata: { mode: 'info' } }) });
          const o = await rt.run(req, () => {});
          const r = o.result as { env: Record<string, string>; taskEnv: Record<string, string>; workdir: string };
          assert.equal(r.taskEnv.HIVE_TASK_ID, String(req.task.id));
          assert.equal(r.taskEnv.HIVE_ATTEMPT, '1');
          assert.equal(r.workdir, req.workdir);
          assert.equal(r.env.HIVE_AGENT, 'tester');
          assert.equal(r.env.AGENT_SETTING, 'yes');
          assert.equal(r.env.HIVE_HEARTBEAT_MS, '1000');
          assert.equal(r.env.OPENAI_API_KEY, undefined);
          assert.equal(r.env.HIVE_TEST_LEAK, undefined);
        },
        settings,
      );
    } finally {
      delete process.env.HIVE_TEST_LEAK;
    }
  });

  it('lets a worker answer a cancel itself, before the grace runs out', async () => {
    const agent = sdkWorker();
    await withWorker(
      agent,
      async ({ rt, dir }) => {
        const ctl = new LazyAbort();
        const events = new Events();
        const pending = rt.run(makeRequest(dir, agent, { abort: ctl, task: makeTask({ metadata: { mode: 'wait' } }) }), events.emit);
        await events.first('started');
        const t0 = Date.now();
        ctl.abort(new HiveError('CANCELLED', 'user cancelled'));
        const o = await pending;
        assert.equal(o.code, 'CANCELLED');
        assert.ok(Date.now() - t0 < 2_000, 'answered by the worker, not by the 5 s grace');
      },
      { ...SETTINGS, killGraceMs: 5_000 },
    );
  });

  it('runs several tasks at once on one worker', async () => {
    const agent = sdkWorker();
    await withWorker(agent, async ({ rt, dir }) => {
      const runs = [1, 2].map(() => rt.run(makeRequest(dir, agent, { task: makeTask({ metadata: { mode: 'slow', ms: 300 } }) }), () => {}));
      const [a, b] = (await Promise.all(runs)).map((o) => o.result as { start: number; end: number });
      assert.ok(a.start < b.end && b.start < a.end, 'the two tasks overlapped');
    });
  });

  describe('start and stop', () => {
    const startFails = async (agent: Agent, message: RegExp): Promise<void> => {
      const rt = createWorkerRuntime(agent, new HostLog(), SETTINGS);
      await assert.rejects(rt.start(), (err: unknown) => err instanceof HiveError && err.code === 'SPAWN_FAILED' && message.test(err.message));
      const o = await rt.run(makeRequest('/nonexistent', agent), () => {});
      assert.equal(o.code, 'SPAWN_FAILED');
    };

    it('fails start() when the worker exits before it is ready', async () => {
      await startFails(makeAgent({ kind: 'worker', command: [NODE, fixture('raw-worker.mjs'), 'exit-early'] }), /exited with code 2: cannot load model/);
    });

    it('fails start() when the worker says nothing for 3 heartbeat intervals', async () => {
      await startFails(makeAgent({ kind: 'worker', command: [NODE, fixture('raw-worker.mjs'), 'never-ready'], heartbeatMs: 100 }), /sent nothing for 300 ms/);
    });

    it('fails start() when the worker speaks another protocol version', async () => {
      await startFails(makeAgent({ kind: 'worker', command: [NODE, fixture('raw-worker.mjs'), 'v2'] }), /protocol v2; this Hive speaks v1/);
    });

    it('fails start() when the program does not exist', async () => {
      await startFails(makeAgent({ kind: 'worker', command: '/nonexistent/worker --serve' }), /"\/nonexistent\/worker": no such file/);
    });

    it('stop() asks the worker to shut down; it exits, and later runs are refused with SHUTDOWN', async () => {
      const agent = sdkWorker();
      const rt = createWorkerRuntime(agent, new HostLog(), SETTINGS);
      await rt.start();
      const events = new Events();
      await rt.run(makeRequest('/tmp', agent, { logPath: null }), events.emit);
      const { pid, pidStart } = await events.first('started');
      await rt.stop(2_000);
      assert.equal(isProcessAlive(pid!, pidStart ?? null), false);
      assert.equal((await rt.run(makeRequest('/tmp', agent, { logPath: null }), () => {})).code, 'SHUTDOWN');
    });

    it('stop() terminates a worker that ignores shutdown', async () => {
      const agent = makeAgent({ kind: 'worker', command: [NODE, fixture('no-heartbeat-worker.mjs')] });
      const rt = createWorkerRuntime(agent, new HostLog(), SETTINGS);
      await rt.start();
      const events = new Events();
      const pending = rt.run(makeRequest('/tmp', agent, { logPath: null }), events.emit);
      const { pid, pidStart } = await events.first('started');
      await rt.stop(100);
      assert.equal((await pending).code, 'SHUTDOWN');
      assert.equal(isProcessAlive(pid!, pidStart ?? null), false);
    });
  });
});

describe('worker SDK', () => {
  it('round trip: ready, heartbeats, progress/log/usage/result, errors, cancel and shutdown', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const received: WorkerMessage[] = [];
    let text = '';
    output.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const lines = text.split('\n');
      text = lines.pop()!;
      for (const l of lines) received.push(parseWorkerMessage(l) ?? assert.fail(`not a protocol line: ${l}`));
    });
    let cancelReason: unknown;
    const done = runWorker(
      async (task, ctx) => {
        if (task.prompt === 'fail') throw new Error('kaput');
        if (task.prompt === 'wait') {
          await new Promise((r) => ctx.signal.addEventListener('abort', r));
          cancelReason = ctx.signal.reason;
          return { ok: false, error: 'stopped' };
        }
        ctx.progress(25, 'quarter');
        ctx.log('a line', 'stderr');
        ctx.usage({ inputTokens: 7, costUsd: 0.5 });
        if (task.prompt === 'bare') return { answer: 42 } as never;
        return { ok: true, result: { title: task.title, attempt: ctx.attempt, env: task.env } };
      },
      { input, output, heartbeatMs: 20, exit: false },
    );
    const send = (m: object): boolean => input.write(`${JSON.stringify(m)}\n`);
    const task = (id: number, prompt: string) => ({ type: 'task', id, attempt: 2, title: `t${id}`, prompt, taskType: 'x', metadata: {}, workdir: '/tmp', timeoutMs: 0, env: { A: 'b' } });
    const resultOf = (id: number) => received.find((m) => m.type === 'result' && m.id === id);

    send(task(1, 'go'));
    send(task(2, 'fail'));
    send(task(3, 'wait'));
    send(task(4, 'bare'));
    input.write('not json\n');
    send({ type: 'something-new' });
    await until(() => resultOf(1) !== undefined && resultOf(2) !== undefined && resultOf(4) !== undefined, 'results');
    send({ type: 'cancel', id: 3, attempt: 2, reason: 'TIMEOUT' });
    await until(() => resultOf(3) !== undefined, 'the cancelled result');
    await until(() => received.some((m) => m.type === 'heartbeat'), 'a heartbeat');

    assert.deepEqual(received[0], { type: 'ready', v: 1 });
    assert.deepEqual(resultOf(1), { type: 'result', id: 1, attempt: 2, ok: true, result: { title: 't1', attempt: 2, env: { A: 'b' } } });
    assert.deepEqual(resultOf(2), { type: 'result', id: 2, attempt: 2, ok: false, error: 'kaput' });
    assert.deepEqual(resultOf(3), { type: 'result', id: 3, attempt: 2, ok: false, error: 'stopped' });
    assert.deepEqual(resultOf(4), { type: 'result', id: 4, attempt: 2, ok: true, result: { answer: 42 } });
    assert.match(String(cancelReason), /TIMEOUT/);
    const of1 = received.filter((m) => 'id' in m && m.id === 1).map((m) => m.type);
    assert.deepEqual(of1, ['progress', 'log', 'usage', 'result']);
    assert.deepEqual(
      received.find((m) => m.type === 'usage'),
      { type: 'usage', id: 1, attempt: 2, input_tokens: 7, cost_usd: 0.5 },
    );
    assert.deepEqual(
      received.find((m) => m.type === 'log'),
      { type: 'log', id: 1, attempt: 2, line: 'a line', stream: 'stderr' },
    );
    send({ type: 'shutdown' });
    await done;
  });
});
