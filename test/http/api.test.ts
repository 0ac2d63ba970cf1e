import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { createToken, hostAllowList } from '../../src/http/auth.js';
import type { Orchestrator } from '../../src/engine/orchestrator.js';
import { agentSpec, testHive, waitFinal } from '../helpers/hive.js';

/** inject() with an admin bearer token. */
async function client(app: FastifyInstance, hive: Orchestrator): Promise<(o: InjectOptions | string) => Promise<LightMyRequestResponse>> {
  const { token } = await createToken(hive.store, 'admin', 'test');
  return (o) => {
    const opts: InjectOptions = typeof o === 'string' ? { url: o } : o;
    return app.inject({ ...opts, headers: { authorization: `Bearer ${token}`, ...(opts.headers ?? {}) } });
  };
}

test('tasks and agents over HTTP: submit with refs, list by cursor, show, cancel, retry, dlq, errors with stable codes', async () => {
  const { hive, dir, cleanup } = await testHive({ inline: { ok: (t) => ({ done: t.title }), no: () => { throw new Error('nope'); } } });
  const app = await buildApp(hive);
  const call = await client(app, hive);
  try {
    const created = await call({ method: 'POST', url: '/api/v1/agents', payload: { name: 'sh', capabilities: ['sh'], command: 'echo {prompt}', workdir: join(dir, 'w') } });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().name, 'sh');
    await hive.registerAgent(agentSpec('ok', ['ok'], { kind: 'inline', fn: 'ok' }, 2));
    await hive.registerAgent(agentSpec('no', ['no'], { kind: 'inline', fn: 'no' }));
    await hive.start();

    const batch = await call({ method: 'POST', url: '/api/v1/tasks', payload: { tasks: [{ ref: 'a', title: 'a', capabilities: ['ok'] }, { title: 'b', capabilities: ['ok'], dependsOn: ['a'] }, { title: 'c', capabilities: ['no'], maxAttempts: 1 }] } });
    assert.equal(batch.statusCode, 201, batch.body);
    const [a, b, c] = batch.json().tasks;
    assert.deepEqual(b.dependsOn, [a.id]);
    assert.equal(b.status, 'pending');
    await waitFinal(hive, [a.id, b.id, c.id]);

    const shown = (await call({ url: `/api/v1/tasks/${b.id}` })).json();
    assert.equal(shown.status, 'completed');
    assert.deepEqual(shown.result, { done: 'b' });
    assert.equal(shown.attemptsList.length, 1);

    const page1 = (await call({ url: '/api/v1/tasks?limit=2' })).json();
    assert.deepEqual(page1.items.map((t: { id: number }) => t.id), [a.id, b.id]);
    const page2 = (await call({ url: `/api/v1/tasks?limit=2&cursor=${page1.nextCursor}` })).json();
    assert.deepEqual(page2.items.map((t: { id: number }) => t.id), [c.id]);
    assert.equal(page2.nextCursor, null);
    assert.deepEqual((await call({ url: '/api/v1/tasks?status=completed' })).json().items.length, 2);

    assert.deepEqual((await call({ url: '/api/v1/dlq' })).json().items.map((t: { id: number }) => t.id), [c.id]);
    const cancelDone = await call({ method: 'POST', url: `/api/v1/tasks/${a.id}/cancel` });
    assert.equal(cancelDone.statusCode, 409);
    assert.equal(cancelDone.json().error.code, 'INVALID_TRANSITION');
    const requeued = await call({ method: 'POST', url: '/api/v1/dlq/requeue', payload: { ids: [c.id] } });
    assert.deepEqual(requeued.json(), { requeued: [c.id] });

    const missing = await call({ url: '/api/v1/tasks/999999' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'TASK_NOT_FOUND');
    const bad = await call({ method: 'POST', url: '/api/v1/tasks', payload: { title: 'x', priority: 'urgent', colour: 'blue' } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'VALIDATION_FAILED');
    const cycle = await call({ method: 'POST', url: '/api/v1/tasks', payload: { tasks: [{ ref: 'x', title: 'x', dependsOn: ['y'] }, { ref: 'y', title: 'y', dependsOn: ['x'] }] } });
    assert.equal(cycle.statusCode, 422);
    assert.equal(cycle.json().error.code, 'DEPENDENCY_CYCLE');
    assert.equal((await call({ url: '/api/v1/agents/nobody' })).json().error.code, 'AGENT_NOT_FOUND');
    const byCap = (await call({ url: '/api/v1/agents?capability=ok' })).json();
    assert.deepEqual(byCap.items.map((x: { name: string }) => x.name), ['ok']);
    const paged = (await call({ url: '/api/v1/agents?limit=2' })).json();
    assert.equal(paged.items.length, 2);
    const rest = (await call({ url: `/api/v1/agents?limit=2&cursor=${paged.nextCursor}` })).json();
    assert.deepEqual([...paged.items, ...rest.items].map((x: { name: string }) => x.name), ['no', 'ok', 'sh']);
    assert.equal(rest.nextCursor, null);
    assert.equal((await call({ url: '/api/v1/agents?status=sleepy' })).statusCode, 400);
    const patched = await call({ method: 'PATCH', url: '/api/v1/agents/sh', payload: { slots: 3, capabilities: ['sh', 'bash'] } });
    assert.equal(patched.statusCode, 200, patched.body);
    assert.equal(patched.json().slots, 3);
    assert.deepEqual(patched.json().capabilities, ['bash', 'sh']);
    assert.deepEqual(patched.json().runtime, { kind: 'command', command: 'echo {prompt}' }, 'fields not given are kept');
    assert.equal((await call({ method: 'PATCH', url: '/api/v1/agents/sh', payload: { slots: 0 } })).statusCode, 400);
    assert.equal((await call({ method: 'PATCH', url: '/api/v1/agents/sh', payload: { name: 'renamed' } })).statusCode, 400);
    assert.equal((await call({ url: '/api/v1/nothing' })).statusCode, 404);
    const notJson = await call({ method: 'POST', url: '/api/v1/tasks', headers: { 'content-type': 'text/plain' }, payload: 'title=x' });
    assert.equal(notJson.statusCode, 415);
    assert.equal(notJson.json().error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const huge = await call({ method: 'POST', url: '/api/v1/tasks', payload: { title: 'x', prompt: 'p'.repeat(3 * 1024 * 1024) } });
    assert.equal(huge.statusCode, 413);

    const status = (await call({ url: '/api/v1/status' })).json();
    assert.equal(status.tasks.completed, 2);
    assert.equal((await call({ url: '/health' })).json().ok, true);
    assert.equal((await call({ url: '/ready' })).json().ready, true);
    const events = (await call({ url: '/api/v1/events?after=0&limit=5&types=task.completed' })).json();
    assert.ok(events.items.every((e: { type: string }) => e.type === 'task.completed'));
  } finally {
    await app.close();
    await cleanup();
  }
});

test('the OpenAPI document lists every route, and malformed requests never get a 5xx nor change the event log', async () => {
  const { hive, cleanup } = await testHive();
  const app = await buildApp(hive);
  const call = await client(app, hive);
  try {
    const doc = (await call({ url: '/api/v1/openapi.json' })).json();
    assert.match(doc.openapi, /^3\./);
    const paths = Object.keys(doc.paths);
    for (const p of ['/api/v1/tasks/{id}/logs', '/api/v1/agents/{id}/restart', '/api/v1/tokens', '/api/v1/tokens/{id}', '/health', '/ready', '/api/v1/status', '/api/v1/events', '/api/v1/tasks', '/api/v1/tasks/{id}', '/api/v1/tasks/{id}/cancel', '/api/v1/tasks/{id}/retry', '/api/v1/dlq', '/api/v1/dlq/{id}/requeue', '/api/v1/dlq/requeue', '/api/v1/agents', '/api/v1/agents/{id}', '/api/v1/agents/{id}/pause', '/api/v1/agents/{id}/resume',
      '/api/v1/workflows', '/api/v1/workflows/{name}', '/api/v1/workflows/{name}/execute', '/api/v1/workflow-runs', '/api/v1/workflow-runs/{id}', '/api/v1/workflow-runs/{id}/pause',
      '/api/v1/workflow-runs/{id}/resume', '/api/v1/workflow-runs/{id}/cancel', '/api/v1/workflow-runs/{id}/retry']) {
      assert.ok(paths.includes(p), `missing ${p}`);
    }
    await hive.enqueue({ title: 'seed' });
    const before = await hive.events(0, 1000);
    // every route, on ids and names that do not exist, so that no request could legitimately change anything
    const routes = [
      ['POST', '/api/v1/tasks'], ['GET', '/api/v1/tasks'], ['GET', '/api/v1/tasks/424242'], ['POST', '/api/v1/tasks/424242/cancel'], ['POST', '/api/v1/tasks/abc/retry'],
      ['GET', '/api/v1/tasks/424242/logs'], ['GET', '/api/v1/dlq'], ['POST', '/api/v1/dlq/424242/requeue'], ['POST', '/api/v1/dlq/requeue'],
      ['GET', '/api/v1/agents'], ['POST', '/api/v1/agents'], ['GET', '/api/v1/agents/ghost'], ['DELETE', '/api/v1/agents/ghost'], ['POST', '/api/v1/agents/ghost/pause'],
      ['POST', '/api/v1/agents/ghost/resume'], ['PATCH', '/api/v1/agents/ghost'], ['POST', '/api/v1/agents/ghost/restart'], ['GET', '/api/v1/events'], ['GET', '/api/v1/status'],
      ['GET', '/api/v1/tokens'], ['POST', '/api/v1/tokens'], ['DELETE', '/api/v1/tokens/424242'], ['GET', '/health'], ['GET', '/ready'],
      ['GET', '/api/v1/workflows'], ['POST', '/api/v1/workflows'], ['GET', '/api/v1/workflows/ghost'], ['POST', '/api/v1/workflows/ghost/execute'], ['GET', '/api/v1/workflow-runs'],
      ['GET', '/api/v1/workflow-runs/424242'], ['POST', '/api/v1/workflow-runs/424242/pause'], ['POST', '/api/v1/workflow-runs/424242/resume'], ['POST', '/api/v1/workflow-runs/abc/cancel'],
      ['POST', '/api/v1/workflow-runs/424242/retry'],
    ] as const;
    const junk: unknown[] = [null, 42, 'str', [], {}, { title: 7 }, { title: 'x'.repeat(10_000) }, { tasks: 'no' }, { tasks: [{}] }, { title: 'x', dependsOn: [-1] }, { title: 'x', maxAttempts: 1e9 }, { name: '../x', command: 'c' }, { ids: ['a'] }, { title: 'x', metadata: [] }, { title: 'x', unknown: true },
      { name: 'w', steps: { a: { needs: ['a'] } } }, { name: 'w', steps: { a: { caps: 'x' } } }, { name: 'w', steps: { a: { if: '1 +' } } }, { name: 'w', steps: { a: { prompt: '{{inputs.x}}' } } }, { inputs: { x: 1 }, version: 0 }, { reason: 7 }];
    const rand = (n: number): number => Math.floor(Math.random() * n);
    let sent = 0;
    for (let i = 0; i < 1000; i++) {
      const [method, url] = routes[rand(routes.length)];
      const q = ['', '?limit=abc', '?limit=-1', '?cursor=x', '?status=nope', '?after=-5', '?force=maybe', `?x=${'y'.repeat(50)}`, '?attempt=0', '?types=' + 'z'.repeat(2000)][rand(10)];
      const body = i % 7 === 0 ? '{"broken": ' : JSON.stringify(junk[rand(junk.length)]);
      const res = await call({ method, url: url + q, headers: { 'content-type': 'application/json' }, payload: method === 'GET' ? undefined : body });
      sent++;
      assert.ok(res.statusCode < 500, `${method} ${url}${q} ${body.slice(0, 80)} -> ${res.statusCode} ${res.body.slice(0, 200)}`);
      if (res.statusCode >= 400) assert.ok(typeof res.json().error.code === 'string');
    }
    for (const id of ['0', '-1', 'abc', '1e3', '99999999999999999999']) {
      const res = await call({ url: `/api/v1/tasks/${id}` });
      assert.ok([400, 404].includes(res.statusCode), `${id} -> ${res.statusCode}`);
    }
    assert.equal(sent, 1000);
    assert.deepEqual(await hive.events(0, 1000), before, 'no malformed request changed anything');
  } finally {
    await app.close();
    await cleanup();
  }
});

test('tokens: every /api/v1 route needs a bearer token; viewers read, operators change tasks, admins manage tokens; Host is checked', async () => {
  const { hive, cleanup } = await testHive();
  const app = await buildApp(hive, { allowedHosts: hostAllowList('127.0.0.1') });
  try {
    const as = (token: string | null, o: InjectOptions) => app.inject({ ...o, headers: { host: '127.0.0.1:4477', ...(token ? { authorization: `Bearer ${token}` } : {}), ...(o.headers ?? {}) } });
    assert.equal((await as(null, { url: '/health' })).statusCode, 200, '/health needs no token');
    const none = await as(null, { url: '/api/v1/tasks' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error.code, 'UNAUTHENTICATED');
    assert.equal((await as('hive_notarealtoken', { url: '/api/v1/tasks' })).statusCode, 401);
    const admin = (await createToken(hive.store, 'admin', 'a')).token;
    const made = await as(admin, { method: 'POST', url: '/api/v1/tokens', payload: { role: 'viewer', name: 'v' } });
    assert.equal(made.statusCode, 201);
    const viewer = made.json().token as string;
    const operator = (await as(admin, { method: 'POST', url: '/api/v1/tokens', payload: { role: 'operator' } })).json().token as string;
    assert.equal((await as(viewer, { url: '/api/v1/tasks' })).statusCode, 200);
    const denied = await as(viewer, { method: 'POST', url: '/api/v1/tasks', payload: { title: 'x' } });
    assert.equal(denied.statusCode, 403);
    assert.equal(denied.json().error.code, 'FORBIDDEN');
    assert.equal((await as(operator, { method: 'POST', url: '/api/v1/tasks', payload: { title: 'x' } })).statusCode, 201);
    assert.equal((await as(operator, { url: '/api/v1/tokens' })).statusCode, 403);
    const list = (await as(admin, { url: '/api/v1/tokens' })).json().items;
    assert.equal(list.length, 3);
    assert.ok(list.every((t: Record<string, unknown>) => !('token' in t) && !('hash' in t)), 'secrets are never listed');
    const viewerId = list.find((t: { role: string }) => t.role === 'viewer').id;
    assert.equal((await as(admin, { method: 'DELETE', url: `/api/v1/tokens/${viewerId}` })).statusCode, 200);
    assert.equal((await as(viewer, { url: '/api/v1/tasks' })).statusCode, 401, 'a revoked token stops working');
    const rebinding = await app.inject({ url: '/health', headers: { host: 'evil.example:4477' } });
    assert.equal(rebinding.statusCode, 403);
    assert.equal(rebinding.json().error.code, 'FORBIDDEN');
    assert.equal((await as(admin, { method: 'DELETE', url: `/api/v1/tokens/${viewerId}` })).json().error.code, 'TOKEN_NOT_FOUND');
  } finally {
    await app.close();
    await cleanup();
  }
});
