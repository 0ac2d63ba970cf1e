import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildApp } from '../../src/http/app.js';
import { createToken } from '../../src/http/auth.js';
import { agentSpec, testHive, waitFinal, waitFor } from '../helpers/hive.js';

test('logs: plain text of an attempt, and follow=true streams lines over SSE until the attempt ends', async () => {
  const { hive, dir, cleanup } = await testHive();
  const app = await buildApp(hive);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  try {
    const { token } = await createToken(hive.store, 'viewer', 'l');
    const auth = { authorization: `Bearer ${token}` };
    await hive.registerAgent(agentSpec('talker', [], { kind: 'command', command: 'for i in 1 2 3; do echo line $i; sleep 0.2; done' }, 1, { workdir: join(dir, 'w') }));
    await hive.start();
    const t = await hive.enqueue({ title: 'talk' });
    await waitFor(async () => (await hive.getTask(t.id)).status === 'running', 5_000, 'running');
    const res = await fetch(`${base}/api/v1/tasks/${t.id}/logs?follow=true`, { headers: auth });
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const text = await res.text(); // ends when the attempt ends
    const lines = [...text.matchAll(/event: log\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]));
    assert.deepEqual(lines, ['line 1', 'line 2', 'line 3']);
    assert.match(text, /event: end\ndata: \{"status":"completed","attempt":1\}/);
    const plain = await fetch(`${base}/api/v1/tasks/${t.id}/logs`, { headers: auth });
    assert.match(plain.headers.get('content-type') ?? '', /text\/plain/);
    assert.equal(await plain.text(), 'line 1\nline 2\nline 3\n');
    assert.equal((await fetch(`${base}/api/v1/tasks/${t.id}/logs?attempt=2`, { headers: auth })).status, 400);
    assert.equal((await fetch(`${base}/api/v1/tasks/999/logs`, { headers: auth })).status, 404);
  } finally {
    await app.close();
    await cleanup();
  }
});

test('agents: DELETE drains a busy agent (202), then removes it; force kills and requeues; restart restarts the runtime; /docs is served locally', async () => {
  const { hive, dir, cleanup } = await testHive();
  const app = await buildApp(hive);
  try {
    const { token } = await createToken(hive.store, 'operator', 'o');
    const as = (method: 'GET' | 'POST' | 'DELETE', url: string) => app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });
    await hive.registerAgent(agentSpec('busy', ['b'], { kind: 'command', command: 'sleep 0.4' }, 1, { workdir: join(dir, 'w') }));
    await hive.registerAgent(agentSpec('stuck', ['s'], { kind: 'command', command: 'sleep 30' }, 1, { workdir: join(dir, 'w') }));
    await hive.registerAgent(agentSpec('idle', [], { kind: 'command', command: 'true' }, 1, { workdir: join(dir, 'w') }));
    await hive.start();
    const [b, s] = await Promise.all([hive.enqueue({ title: 'b', capabilities: ['b'] }), hive.enqueue({ title: 's', capabilities: ['s'], backoffMs: 0 })]);
    await waitFor(async () => (await hive.getTask(b.id)).status === 'running' && (await hive.getTask(s.id)).status === 'running', 5_000, 'both running');

    const idle = await as('DELETE', '/api/v1/agents/idle');
    assert.equal(idle.statusCode, 200);
    const drain = await as('DELETE', '/api/v1/agents/busy');
    assert.equal(drain.statusCode, 202, drain.body);
    assert.equal(drain.json().draining, true);
    assert.equal(drain.json().status, 'maintenance');
    await waitFinal(hive, [b.id], 5_000);
    assert.equal((await hive.getTask(b.id)).status, 'completed', 'the running task finished');
    await waitFor(async () => (await as('GET', '/api/v1/agents/busy')).statusCode === 404, 5_000, 'the drained agent to be removed');

    const restarted = await as('POST', '/api/v1/agents/stuck/restart');
    assert.equal(restarted.statusCode, 200, restarted.body);
    await waitFor(async () => (await hive.attempts(s.id))[0].errorCode === 'SHUTDOWN', 5_000, 'the restart to end the running attempt with SHUTDOWN');
    await waitFor(async () => (await hive.getTask(s.id)).status === 'running', 5_000, 'the retry on the restarted agent');
    const forced = await as('DELETE', '/api/v1/agents/stuck?force=true');
    assert.equal(forced.statusCode, 200);
    const after = await hive.getTask(s.id);
    assert.ok(['queued', 'pending'].includes(after.status), after.status);
    assert.match(after.error ?? '', /^AGENT_REMOVED/);

    const page = await app.inject({ url: '/docs' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /swagger-ui-bundle\.js/);
    assert.doesNotMatch(page.body, /https?:\/\//, 'no CDN');
    const js = await app.inject({ url: '/docs/swagger-ui-bundle.js' });
    assert.equal(js.statusCode, 200);
    assert.ok(js.body.length > 100_000);
  } finally {
    await app.close();
    await cleanup();
  }
});
