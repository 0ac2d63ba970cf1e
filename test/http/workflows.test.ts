import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { createToken } from '../../src/http/auth.js';
import type { Orchestrator } from '../../src/engine/orchestrator.js';
import type { InlineFn } from '../../src/runtimes/inline/index.js';
import type { Task } from '../../src/core/types.js';
import { agentSpec, testHive, waitFor } from '../helpers/hive.js';
import { FEATURE } from '../fixtures/feature-workflow.js';


/** A step that holds until released (or aborted), then one after it. */
const GATED = { name: 'gated', steps: { hold: { caps: ['hold'] }, after: { caps: ['planning'], needs: ['hold'] } } };

type Call = (o: InjectOptions | string) => Promise<LightMyRequestResponse>;

async function setup(): Promise<{ hive: Orchestrator; app: FastifyInstance; call: Call; release: () => void; cleanup: () => Promise<void> }> {
  let hang = true;
  const work: InlineFn = (t: Task, ctx) => {
    switch (t.step) {
      case 'plan':
        return { summary: 'S1', files: ['a.ts', 'b.ts', 'c.ts'] };
      case 'tests':
        return { passed: t.prompt === 'pass=true' };
      case 'review':
        return { verdict: 'lgtm' };
      case 'hold':
        return hang ? new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) : { held: false };
      default:
        return { did: t.prompt };
    }
  };
  const h = await testHive({ inline: { work } });
  for (const cap of ['planning', 'backend', 'frontend', 'qa', 'review', 'docs', 'hold']) await h.hive.registerAgent(agentSpec(`${cap}-agent`, [cap], { kind: 'inline', fn: 'work' }, 4));
  await h.hive.start();
  const app = await buildApp(h.hive);
  const { token } = await createToken(h.hive.store, 'admin', 'test');
  const call: Call = (o) => {
    const opts: InjectOptions = typeof o === 'string' ? { url: o } : o;
    return app.inject({ ...opts, headers: { authorization: `Bearer ${token}`, ...(opts.headers ?? {}) } });
  };
  return {
    hive: h.hive,
    app,
    call,
    release: () => (hang = false),
    cleanup: async () => {
      await app.close();
      await h.cleanup();
    },
  };
}

async function waitRun(call: Call, id: number, statuses: string[]): Promise<Record<string, any>> {
  let run: Record<string, any> = {};
  await waitFor(async () => statuses.includes((run = (await call(`/api/v1/workflow-runs/${id}`)).json()).status), 10_000, `run ${id} to be ${statuses.join('/')}`);
  return run;
}

const post = (url: string, payload?: unknown): InjectOptions => ({ method: 'POST', url, ...(payload !== undefined ? { payload: payload as object } : {}) });
const stepOf = (run: Record<string, any>, name: string) => run.steps.find((s: { name: string }) => s.name === name);

test('workflow definitions over HTTP: 201 created, 200 unchanged, CONFLICT on a version with other content, every definition error with its status', async () => {
  const { call, cleanup } = await setup();
  try {
    const first = await call(post('/api/v1/workflows', FEATURE));
    assert.equal(first.statusCode, 201, first.body);
    assert.equal(first.json().created, true);
    assert.equal(first.json().workflow.version, 1);
    assert.deepEqual(Object.keys(first.json().workflow.steps), Object.keys(FEATURE.steps));
    const again = await call(post('/api/v1/workflows', FEATURE));
    assert.equal(again.statusCode, 200, 'the same definition is no new version');
    assert.deepEqual(again.json(), { workflow: first.json().workflow, created: false });
    const conflict = await call(post('/api/v1/workflows', { ...FEATURE, version: 1, description: 'another' }));
    assert.equal(conflict.statusCode, 409);
    assert.equal(conflict.json().error.code, 'CONFLICT');
    const v2 = await call(post('/api/v1/workflows', { ...FEATURE, description: 'another' }));
    assert.equal(v2.statusCode, 201);
    assert.equal(v2.json().workflow.version, 2);

    const bad: [unknown, number, string, RegExp][] = [
      [{ name: 'loop', steps: { a: { needs: ['c'] }, b: { needs: ['a'] }, c: { needs: ['b'] } } }, 422, 'WORKFLOW_CYCLE', /cycle: (a -> c -> b -> a|a -> b -> c -> a)/],
      [{ name: 'lost', steps: { a: { needs: ['ghost'] } } }, 422, 'UNKNOWN_STEP', /ghost/],
      [{ name: 'noinput', steps: { a: { prompt: 'do {{inputs.nope}}' } } }, 422, 'UNKNOWN_INPUT', /nope/],
      [{ name: 'badexpr', steps: { a: {}, b: { needs: ['a'], if: 'steps.a.result ==' } } }, 422, 'INVALID_EXPRESSION', /step b if/],
      [{ name: 'shape', steps: { a: { caps: 'code', colour: 'blue' } } }, 400, 'VALIDATION_FAILED', /steps\.a\.colour: unknown key.*\(and 1 more\)/],
      [{ name: 'shape', steps: { a: { caps: 'code' } } }, 400, 'VALIDATION_FAILED', /steps\.a\.caps: expected a list of capabilities/],
      [{ steps: {} }, 400, 'VALIDATION_FAILED', /name/],
    ];
    for (const [doc, status, code, message] of bad) {
      const res = await call(post('/api/v1/workflows', doc));
      assert.equal(res.statusCode, status, `${JSON.stringify(doc)}: ${res.body}`);
      assert.equal(res.json().error.code, code);
      assert.match(res.json().error.message, message);
    }
    const cycle = (await call(post('/api/v1/workflows', bad[0][0]))).json().error;
    assert.equal(cycle.details.cycle.length, 4, 'details.cycle names the cycle, closed');
    const shape = (await call(post('/api/v1/workflows', bad[4][0]))).json().error;
    assert.deepEqual(shape.details.issues.map((i: { path: string }) => i.path).sort(), ['steps.a.caps', 'steps.a.colour']);
    for (const body of ['null', '[]', '"feature"', '{"broken": ']) {
      const res = await call({ method: 'POST', url: '/api/v1/workflows', headers: { 'content-type': 'application/json' }, payload: body });
      assert.equal(res.statusCode, 400, body);
      assert.equal(res.json().error.code, 'VALIDATION_FAILED');
    }

    const list = (await call('/api/v1/workflows')).json();
    assert.deepEqual(list.items.map((w: { name: string; version: number; versions: number }) => [w.name, w.version, w.versions]), [['feature', 2, 2]], 'no bad definition was stored');
    assert.equal((await call('/api/v1/workflows/feature')).json().version, 2);
    assert.equal((await call('/api/v1/workflows/feature?version=1')).json().description, null);
    const missing = await call('/api/v1/workflows/feature?version=3');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'WORKFLOW_NOT_FOUND');
    assert.equal((await call('/api/v1/workflows/ghost')).json().error.code, 'WORKFLOW_NOT_FOUND');
    assert.equal((await call('/api/v1/workflows/feature?version=zero')).statusCode, 400);
    // a name with a slash travels percent-encoded
    assert.equal((await call(post('/api/v1/workflows', { name: 'team/job', steps: { a: {} } }))).statusCode, 201);
    assert.equal((await call('/api/v1/workflows/team%2Fjob')).json().name, 'team/job');
  } finally {
    await cleanup();
  }
});

test('execute over HTTP: missing input is 400 naming inputs.spec; the example run completes with task_ids, agent and a skipped branch', async () => {
  const { call, hive, cleanup } = await setup();
  try {
    assert.equal((await call(post('/api/v1/workflows', FEATURE))).statusCode, 201);
    const missing = await call(post('/api/v1/workflows/feature/execute', {}));
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error.code, 'VALIDATION_FAILED');
    assert.deepEqual(missing.json().error.details.issues.map((i: { path: string }) => i.path), ['inputs.spec']);
    const wrongType = await call(post('/api/v1/workflows/feature/execute', { inputs: { spec: 'x', pass: 'maybe' } }));
    assert.equal(wrongType.statusCode, 400);
    assert.deepEqual(wrongType.json().error.details.issues.map((i: { path: string }) => i.path), ['inputs.pass']);
    assert.equal((await call(post('/api/v1/workflows/feature/execute', { inputs: { spec: 'x' }, colour: 'blue' }))).statusCode, 400);
    assert.equal((await call(post('/api/v1/workflows/feature/execute', { inputs: { spec: 'x' }, version: 9 }))).json().error.code, 'WORKFLOW_NOT_FOUND');
    assert.equal((await call(post('/api/v1/workflows/ghost/execute', { inputs: {} }))).statusCode, 404);
    assert.deepEqual((await call('/api/v1/workflow-runs')).json(), { items: [], nextCursor: null }, 'no refused execute made a run');

    const created = await call(post('/api/v1/workflows/feature/execute', { inputs: { spec: 'login page' } }));
    assert.equal(created.statusCode, 201, created.body);
    const started = created.json();
    assert.equal(started.status, 'running');
    assert.deepEqual(started.steps.filter((s: { status: string }) => s.status === 'running').map((s: { name: string }) => s.name), ['plan']);
    const run = await waitRun(call, started.id, ['completed', 'failed', 'cancelled']);
    assert.equal(run.status, 'completed', JSON.stringify(run.steps));
    assert.deepEqual(Object.keys(run), ['id', 'workflow', 'version', 'status', 'inputs', 'error', 'usage', 'progress', 'createdAt', 'updatedAt', 'finishedAt', 'durationMs', 'steps']);
    assert.deepEqual(Object.keys(run.steps[0]), ['name', 'status', 'task_ids', 'agent', 'agents', 'output', 'result', 'reason', 'needs', 'items', 'usage', 'startedAt', 'finishedAt']);
    assert.deepEqual(run.inputs, { spec: 'login page', pass: true });
    assert.equal(typeof run.durationMs, 'number');
    assert.equal(run.durationMs, Date.parse(run.finishedAt) - Date.parse(run.createdAt));
    assert.deepEqual(Object.fromEntries(run.steps.map((s: { name: string; status: string }) => [s.name, s.status])), { plan: 'completed', backend: 'completed', frontend: 'completed', tests: 'completed', review: 'completed', fix: 'skipped', after_fix: 'skipped', each_file: 'completed', publish: 'completed' });
    const plan = stepOf(run, 'plan');
    assert.equal(plan.agent, 'planning-agent');
    assert.equal(plan.task_ids.length, 1);
    assert.deepEqual(plan.result, { summary: 'S1', files: ['a.ts', 'b.ts', 'c.ts'] });
    assert.equal((await call(`/api/v1/tasks/${plan.task_ids[0]}`)).json().prompt, 'Plan: login page');
    assert.equal((await call(`/api/v1/tasks/${plan.task_ids[0]}`)).json().run, run.id);
    const fanOut = stepOf(run, 'each_file');
    assert.equal(fanOut.task_ids.length, 3);
    assert.equal(fanOut.items, 3);
    assert.equal(fanOut.agent, 'docs-agent');
    assert.equal(stepOf(run, 'fix').agent, null, 'a skipped step has no agent');
    assert.deepEqual(stepOf(run, 'fix').task_ids, []);
    assert.match(stepOf(run, 'fix').reason, /was false/);
    assert.deepEqual(stepOf(run, 'publish').needs, ['each_file', 'review']);
    assert.equal((await hive.getTask(stepOf(run, 'publish').task_ids[0])).prompt, 'Publish 3 docs; review said lgtm');
  } finally {
    await cleanup();
  }
});

test('run control over HTTP: pause, resume, cancel and retry with 409 on a wrong status; runs list by status, workflow and cursor; 404s', async () => {
  const { call, release, cleanup } = await setup();
  try {
    await call(post('/api/v1/workflows', GATED));
    await call(post('/api/v1/workflows', { name: 'quick', steps: { only: { caps: ['planning'] } } }));
    const quick1 = (await call(post('/api/v1/workflows/quick/execute'))).json();
    const quick2 = (await call(post('/api/v1/workflows/quick/execute', { inputs: {} }))).json();
    await waitRun(call, quick1.id, ['completed']);
    await waitRun(call, quick2.id, ['completed']);
    const { id } = (await call(post('/api/v1/workflows/gated/execute', null))).json();
    await waitFor(async () => stepOf((await call(`/api/v1/workflow-runs/${id}`)).json(), 'hold').status === 'running', 10_000, 'hold to run');

    const paused = await call(post(`/api/v1/workflow-runs/${id}/pause`));
    assert.equal(paused.statusCode, 200, paused.body);
    assert.equal(paused.json().status, 'paused');
    const twice = await call(post(`/api/v1/workflow-runs/${id}/pause`));
    assert.equal(twice.statusCode, 409);
    assert.equal(twice.json().error.code, 'INVALID_TRANSITION');
    assert.equal((await call(post(`/api/v1/workflow-runs/${id}/retry`))).statusCode, 409, 'a paused run is not retried');
    assert.equal((await call(post(`/api/v1/workflow-runs/${id}/resume`))).json().status, 'running');
    assert.equal((await call(post(`/api/v1/workflow-runs/${id}/resume`))).statusCode, 409);
    assert.equal((await call(post(`/api/v1/workflow-runs/${id}/cancel`, { reason: 'x'.repeat(501) }))).statusCode, 400);
    const cancelled = await call(post(`/api/v1/workflow-runs/${id}/cancel`, { reason: 'changed my mind' }));
    assert.equal(cancelled.statusCode, 200, cancelled.body);
    assert.equal(cancelled.json().status, 'cancelled');
    assert.deepEqual(cancelled.json().steps.map((s: { status: string }) => s.status), ['cancelled', 'cancelled']);
    assert.match(cancelled.json().error, /changed my mind/);
    assert.equal((await call(post(`/api/v1/workflow-runs/${id}/cancel`))).json().error.code, 'INVALID_TRANSITION');
    assert.equal((await call(post(`/api/v1/workflow-runs/${id}/pause`))).statusCode, 409);
    assert.equal((await call(post(`/api/v1/workflow-runs/${quick1.id}/retry`))).statusCode, 409, 'a completed run is not retried');

    release();
    const retried = await call(post(`/api/v1/workflow-runs/${id}/retry`));
    assert.equal(retried.statusCode, 200, retried.body);
    assert.equal(retried.json().status, 'running');
    const done = await waitRun(call, id, ['completed', 'failed', 'cancelled']);
    assert.equal(done.status, 'completed');
    assert.equal(done.error, null);

    // newest first; by status, by workflow; pages by cursor
    const all = (await call('/api/v1/workflow-runs')).json();
    assert.deepEqual(all.items.map((r: { id: number }) => r.id), [id, quick2.id, quick1.id]);
    assert.equal(all.nextCursor, null);
    assert.ok(all.items.every((r: Record<string, unknown>) => !('steps' in r) && typeof r.progress === 'object'), 'lists carry progress, not steps');
    assert.deepEqual((await call('/api/v1/workflow-runs?workflow=quick')).json().items.map((r: { id: number }) => r.id), [quick2.id, quick1.id]);
    assert.deepEqual((await call('/api/v1/workflow-runs?status=cancelled,failed')).json().items, []);
    assert.equal((await call('/api/v1/workflow-runs?status=completed,running')).json().items.length, 3);
    const bad = await call('/api/v1/workflow-runs?status=sleepy');
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.details.issues[0].path, 'querystring.status');
    const p1 = (await call('/api/v1/workflow-runs?limit=2')).json();
    assert.deepEqual(p1.items.map((r: { id: number }) => r.id), [id, quick2.id]);
    assert.equal(p1.nextCursor, quick2.id);
    const p2 = (await call(`/api/v1/workflow-runs?limit=2&cursor=${p1.nextCursor}`)).json();
    assert.deepEqual(p2.items.map((r: { id: number }) => r.id), [quick1.id]);
    assert.equal(p2.nextCursor, null);
    for (const q of ['limit=0', 'limit=abc', 'cursor=0', 'cursor=x', 'colour=blue']) assert.equal((await call(`/api/v1/workflow-runs?${q}`)).statusCode, 400, q);

    for (const [method, url] of [['GET', '/api/v1/workflow-runs/999'], ['POST', '/api/v1/workflow-runs/999/pause'], ['POST', '/api/v1/workflow-runs/999/resume'], ['POST', '/api/v1/workflow-runs/999/cancel'], ['POST', '/api/v1/workflow-runs/999/retry']] as const) {
      const res = await call({ method, url });
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      assert.equal(res.json().error.code, 'WORKFLOW_RUN_NOT_FOUND');
    }
    assert.equal((await call('/api/v1/workflow-runs/abc')).statusCode, 400);
  } finally {
    await cleanup();
  }
});

test('workflow routes: viewers read, operators define, run and control', async () => {
  const { hive, app, cleanup } = await setup();
  try {
    const as = (token: string, o: InjectOptions) => app.inject({ ...o, headers: { authorization: `Bearer ${token}` } });
    const viewer = (await createToken(hive.store, 'viewer', 'v')).token;
    const operator = (await createToken(hive.store, 'operator', 'o')).token;
    assert.equal((await as(viewer, post('/api/v1/workflows', GATED))).statusCode, 403);
    assert.equal((await as(operator, post('/api/v1/workflows', GATED))).statusCode, 201);
    assert.equal((await as(viewer, { url: '/api/v1/workflows' })).statusCode, 200);
    assert.equal((await as(viewer, post('/api/v1/workflows/gated/execute'))).json().error.code, 'FORBIDDEN');
    const run = await as(operator, post('/api/v1/workflows/gated/execute'));
    assert.equal(run.statusCode, 201);
    assert.equal((await as(viewer, { url: `/api/v1/workflow-runs/${run.json().id}` })).statusCode, 200);
    assert.equal((await as(viewer, post(`/api/v1/workflow-runs/${run.json().id}/cancel`))).statusCode, 403);
    assert.equal((await as(operator, post(`/api/v1/workflow-runs/${run.json().id}/cancel`))).statusCode, 200);
  } finally {
    await cleanup();
  }
});

test('the events of one run: GET /api/v1/events?run=ID keeps its run.* events; task and run together is 400', async () => {
  const { call, cleanup } = await setup();
  try {
    await call({ method: 'POST', url: '/api/v1/workflows', payload: FEATURE });
    const a = (await call({ method: 'POST', url: '/api/v1/workflows/feature/execute', payload: { inputs: { spec: 'a' } } })).json();
    const b = (await call({ method: 'POST', url: '/api/v1/workflows/feature/execute', payload: { inputs: { spec: 'b' } } })).json();
    await waitRun(call, a.id, ['completed']);
    await waitRun(call, b.id, ['completed']);
    const items = (await call(`/api/v1/events?run=${a.id}&limit=1000`)).json().items as { subject: string; type: string }[];
    assert.ok(items.length >= 10);
    assert.ok(items.every((e) => e.subject === `run:${a.id}`));
    assert.equal(items[0].type, 'run.created');
    assert.equal(items.at(-1)!.type, 'run.completed');
    const both = await call(`/api/v1/events?run=${a.id}&task=1`);
    assert.equal(both.statusCode, 400);
    assert.equal(both.json().error.code, 'VALIDATION_FAILED');
  } finally {
    await cleanup();
  }
});
