import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { DEFAULT_HOOK_TIMEOUT_MS, hookCalls, hookWants, statusChange, type HookSpec } from '../../src/core/hooks.js';
import type { HiveEvent } from '../../src/core/types.js';
import { agentSpec, allEvents, sleep, testHive, waitFinal, waitFor } from '../helpers/hive.js';

const hook = (over: Partial<HookSpec>): HookSpec => ({ events: [], agents: [], timeoutMs: DEFAULT_HOOK_TIMEOUT_MS, ...over });
const ev = (type: string, subject: string, data: Record<string, unknown> = {}): HiveEvent => ({ seq: 1, time: 0, type, subject, data });

test('hook calls: event patterns, agent filters, the status change and the HIVE_* variables of each event', () => {
  assert.ok(hookWants(hook({}), 'task.completed'), 'the default list has every task state change');
  assert.ok(!hookWants(hook({}), 'task.stale_report'));
  assert.ok(hookWants(hook({ events: ['task.*'] }), 'task.dead'));
  assert.ok(!hookWants(hook({ events: ['task.*'] }), 'agent.status'));
  assert.deepEqual(statusChange(ev('task.failed', 'task:3', { next: 'pending' })), ['running', 'pending']);
  assert.deepEqual(statusChange(ev('task.dead', 'task:3', { code: 'SCHEDULE_TIMEOUT' })), ['queued', 'dead']);
  assert.deepEqual(statusChange(ev('task.cancelled', 'task:3', { reason: 'x', attempt: 2 })), ['running', 'cancelled']);
  assert.deepEqual(statusChange(ev('agent.status', 'agent:a', { from: 'starting', to: 'active' })), ['starting', 'active']);
  assert.deepEqual(statusChange(ev('run.failed', 'run:7', { error: 'e' })), [null, 'failed']);
  const [call] = hookCalls([hook({ command: 'true' })], ev('task.completed', 'task:12', { attempt: 1, agent: 'coder', durationMs: 5 }), null);
  assert.equal(call.env.HIVE_EVENT, 'task.completed');
  assert.equal(call.env.HIVE_TASK_ID, '12');
  assert.equal(call.env.HIVE_AGENT, 'coder');
  assert.equal(call.env.HIVE_OLD_STATUS, 'running');
  assert.equal(call.env.HIVE_NEW_STATUS, 'completed');
  assert.equal(call.env.HIVE_WORKTREE, '');
  assert.equal(JSON.parse(call.env.HIVE_EVENT_JSON).taskId, 12);
  // an agent's own hook: only its events; the task's agent is looked up when the event does not name it
  const mine = hook({ command: 'true', agents: ['coder'] });
  assert.equal(hookCalls([mine], ev('task.completed', 'task:1', { agent: 'tester' }), null).length, 0);
  assert.equal(hookCalls([mine], ev('task.queued', 'task:1'), 'coder').length, 1);
  assert.equal(hookCalls([mine], ev('agent.status', 'agent:coder', { from: 'a', to: 'b' }), null).length, 1);
});

test('a failing or hanging hook is logged as hook.failed and never blocks the engine', async () => {
  const { hive, cleanup } = await testHive({
    inline: { ok: () => ({ ok: true }) },
    hooks: [
      hook({ command: 'echo boom >&2; exit 3', events: ['task.completed'] }),
      hook({ command: 'sleep 30', events: ['task.started'], timeoutMs: 300 }),
    ],
  });
  try {
    await hive.registerAgent(agentSpec('a', ['x'], { kind: 'inline', fn: 'ok' }, 4));
    await hive.start();
    const started = Date.now();
    const ids = (await hive.submit(Array.from({ length: 8 }, (_, i) => ({ title: `t${i}`, capabilities: ['x'] })))).map((r) => r.task.id);
    await waitFinal(hive, ids);
    assert.ok(Date.now() - started < 2_000, `8 tasks completed while 8 hooks hang (took ${Date.now() - started} ms)`);
    await waitFor(async () => (await allEvents(hive)).filter((e) => e.type === 'hook.failed').length >= 16, 15_000, 'hook failures to be logged');
    const failures = (await allEvents(hive)).filter((e) => e.type === 'hook.failed');
    assert.equal(failures.filter((e) => e.data.hook === 0 && e.data.error === 'exit code 3: boom' && e.data.event === 'task.completed' && e.data.kind === 'command').length, 8);
    assert.equal(failures.filter((e) => e.data.hook === 1 && e.data.error === 'timed out after 300 ms').length, 8);
    assert.ok(failures.every((e) => e.subject.startsWith('task:')));
  } finally {
    await cleanup();
  }
});

test('hook output: the variables reach the command, agent hooks fire only for their agent, webhooks get the JSON payload', async () => {
  const got: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ ...JSON.parse(body), contentType: req.headers['content-type'] });
      res.statusCode = got.length === 1 ? 500 : 204; // the first delivery fails: logged as hook.failed
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const h = await testHive({ inline: { ok: () => ({ ok: true }) } });
  const out = join(h.dir, 'hooks.log');
  await h.hive.close({ drainMs: 0 });
  const { hive, cleanup } = await testHive({
    dataDir: join(h.dir, 'data2'),
    inline: { ok: () => ({ ok: true }) },
    hooks: [
      hook({ command: `echo "$HIVE_EVENT $HIVE_TASK_ID $HIVE_AGENT $HIVE_OLD_STATUS>$HIVE_NEW_STATUS" >> ${out}`, events: ['task.*'] }),
      hook({ command: `echo "$HIVE_EVENT $HIVE_AGENT" >> ${out}.b`, events: ['task.completed', 'task.queued', 'task.enqueued'], agents: ['b'] }),
      hook({ webhook: url, events: ['task.completed'] }),
      hook({ webhook: 'http://127.0.0.1:9/nothing', events: ['task.completed'], timeoutMs: 2_000 }),
    ],
  });
  try {
    await hive.registerAgent(agentSpec('a', ['x'], { kind: 'inline', fn: 'ok' }));
    await hive.registerAgent(agentSpec('b', ['y'], { kind: 'inline', fn: 'ok' }));
    await hive.start();
    const t1 = await hive.enqueue({ title: 'one', capabilities: ['x'] });
    const t2 = await hive.enqueue({ title: 'two', capabilities: ['y'] });
    await waitFinal(hive, [t1.id, t2.id]);
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes(`task.completed ${t2.id} b running>completed`), 10_000, 'the command hook');
    const lines = readFileSync(out, 'utf8');
    assert.match(lines, new RegExp(`^task.enqueued ${t1.id}  >queued$`, 'm'));
    assert.match(lines, new RegExp(`^task.started ${t1.id} a queued>running$`, 'm'));
    assert.match(lines, new RegExp(`^task.completed ${t1.id} a running>completed$`, 'm'));
    await waitFor(() => existsSync(`${out}.b`) && readFileSync(`${out}.b`, 'utf8').includes('task.completed b'), 10_000, 'the agent hook');
    assert.doesNotMatch(readFileSync(`${out}.b`, 'utf8'), / a$/m, 'agent b hook never runs for agent a');
    await waitFor(() => got.length >= 2, 10_000, 'both webhook deliveries');
    const byTask = new Map(got.map((g) => [g.taskId, g]));
    assert.deepEqual(new Set(byTask.keys()), new Set([t1.id, t2.id]));
    const p = got[0];
    assert.equal(p.event, 'task.completed');
    assert.equal(p.newStatus, 'completed');
    assert.equal(p.contentType, 'application/json');
    await waitFor(async () => (await allEvents(hive)).filter((e) => e.type === 'hook.failed').length >= 3, 10_000, 'webhook failures');
    const failures = (await allEvents(hive)).filter((e) => e.type === 'hook.failed').map((e) => String(e.data.error));
    assert.ok(failures.some((f) => /HTTP 500 from/.test(f)), failures.join('\n'));
    assert.ok(failures.some((f) => /POST http:\/\/127\.0\.0\.1:9\/nothing failed/.test(f)), failures.join('\n'));
    await sleep(50);
  } finally {
    await cleanup();
    await h.cleanup();
    server.close();
  }
});
