import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startUp, tempDir, waitFor } from '../helpers/hive.js';

test('hive up serves the API on a real socket with the admin token it wrote (0600); requests without it get 401', { timeout: 60_000 }, async () => {
  const t = tempDir();
  const up = await startUp(t.dir, ['--data', join(t.dir, 'data')]);
  try {
    const base = up.base;
    const file = /admin token written to (\S+)/.exec(up.output())![1];
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const token = readFileSync(file, 'utf8').trim();
    const api = (path: string, init: RequestInit = {}) =>
      fetch(base + path, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

    assert.equal((await fetch(`${base}/health`)).status, 200);
    assert.equal((await fetch(`${base}/api/v1/tasks`)).status, 401);
    const agent = await api('/api/v1/agents', { method: 'POST', body: JSON.stringify({ name: 'echo', capabilities: ['say'], command: ['echo', '{"said":"hi"}'], workdir: join(t.dir, 'w') }) });
    assert.equal(agent.status, 201, await agent.clone().text());
    const created = await api('/api/v1/tasks', { method: 'POST', body: JSON.stringify({ title: 'say hi', capabilities: ['say'] }) });
    assert.equal(created.status, 201);
    const id = ((await created.json()) as { tasks: { id: number }[] }).tasks[0].id;
    await waitFor(async () => ((await (await api(`/api/v1/tasks/${id}`)).json()) as { status: string }).status === 'completed', 20_000, 'the task to complete over HTTP');
    const task = (await (await api(`/api/v1/tasks/${id}`)).json()) as { result: unknown; agent: string };
    assert.deepEqual(task.result, { said: 'hi' });
    assert.equal(task.agent, 'echo');
  } finally {
    assert.equal(await up.stop(), 0, up.output());
    t.cleanup();
  }
});
