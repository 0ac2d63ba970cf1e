import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HiveError } from '../../src/core/errors.js';
import type { RuntimeEvent } from '../../src/core/runtime.js';
import { defaultRuntimes } from '../../src/runtimes/index.js';
import { createInlineRuntime, type InlineFn } from '../../src/runtimes/inline/index.js';
import { Events, HostLog, makeAgent, makeRequest, makeTask, runRuntimeSuite, SETTINGS, withRuntime } from '../contract/runtime.suite.js';

const behaviours: Record<string, InlineFn> = {
  ok: async (task, ctx) => {
    ctx.emit({ type: 'progress', pct: 50, message: 'half' });
    ctx.emit({ type: 'usage', usage: { inputTokens: 10, outputTokens: 5, costUsd: 0.01 } });
    return { echo: task.prompt };
  },
  fail: () => {
    throw new Error('boom');
  },
  hang: () => new Promise(() => {}),
};

runRuntimeSuite('inline', (b) => ({ spec: { kind: 'inline', fn: b }, factory: createInlineRuntime(behaviours) }), { pid: 'none' });

describe('inline runtime', () => {
  const run = async (fn: InlineFn, over: Parameters<typeof makeRequest>[2] = {}, events = new Events()) => {
    const agent = makeAgent({ kind: 'inline', fn: 'f' });
    return withRuntime(createInlineRuntime({ f: fn }), agent, (rt) => rt.run(makeRequest('/nonexistent', agent, { logPath: null, ...over }), events.emit));
  };

  it('takes a synchronous return value as the result', async () => {
    const o = await run((task) => ({ title: task.title }));
    assert.deepEqual(o, { ok: true, exitCode: null, signal: null, result: { title: 'a test task' } });
  });

  it('turns a synchronous throw or a rejection into TASK_FAILED', async () => {
    assert.deepEqual(
      await run(() => {
        throw new Error('sync boom');
      }),
      { ok: false, exitCode: null, signal: null, code: 'TASK_FAILED', error: 'sync boom' },
    );
    const o = await run(async () => Promise.reject('not even an Error'));
    assert.equal(o.code, 'TASK_FAILED');
    assert.equal(o.error, 'not even an Error');
  });

  it('keeps the code of a thrown HiveError', async () => {
    const o = await run(async () => {
      throw new HiveError('VALIDATION_FAILED', 'bad input');
    });
    assert.equal(o.code, 'VALIDATION_FAILED');
    assert.equal(o.error, 'bad input');
  });

  it('passes the attempt number and forwards emitted events', async () => {
    const events = new Events();
    const o = await run(
      (_task, ctx) => {
        ctx.emit({ type: 'log', stream: 'stdout', line: `attempt ${ctx.attempt}` });
        return ctx.attempt;
      },
      { attempt: 3 },
      events,
    );
    assert.equal(o.result, 3);
    assert.deepEqual(events.all, [{ type: 'started' }, { type: 'log', stream: 'stdout', line: 'attempt 3' }] satisfies RuntimeEvent[]);
  });

  it('aborts the function’s signal with a TIMEOUT reason when the timeout passes', async () => {
    let reason: unknown;
    const o = await run((_task, ctx) => new Promise(() => ctx.signal.addEventListener('abort', () => (reason = ctx.signal.reason))), { timeoutMs: 50 });
    assert.equal(o.code, 'TIMEOUT');
    assert.ok(reason instanceof HiveError && reason.code === 'TIMEOUT');
  });

  it('finishes before the timeout without leaving it armed', async () => {
    const o = await run(async () => 'quick', { timeoutMs: 10_000 });
    assert.equal(o.result, 'quick');
  });

  it('fails start() and every run with SPAWN_FAILED for an unknown function name', async () => {
    const agent = makeAgent({ kind: 'inline', fn: 'nope' });
    const rt = createInlineRuntime({ a: () => 1, b: () => 2 })(agent, new HostLog(), SETTINGS);
    await assert.rejects(rt.start(), (err: unknown) => err instanceof HiveError && err.code === 'SPAWN_FAILED' && /"nope".*known: a, b/.test(err.message));
    const o = await rt.run(makeRequest('/nonexistent', agent, { task: makeTask() }), () => {});
    assert.equal(o.code, 'SPAWN_FAILED');
    assert.match(o.error ?? '', /no inline function named "nope"/);
  });

  it('does not take inherited object properties for functions', async () => {
    const agent = makeAgent({ kind: 'inline', fn: 'toString' });
    const rt = createInlineRuntime({})(agent, new HostLog(), SETTINGS);
    await assert.rejects(rt.start(), /no inline function named "toString"/);
  });
});

describe('defaultRuntimes', () => {
  it('maps command, worker, inline and the coding-agent presets', () => {
    assert.deepEqual(Object.keys(defaultRuntimes()).sort(), ['aider', 'claude-code', 'codex', 'command', 'gemini', 'inline', 'worker']);
  });
});
