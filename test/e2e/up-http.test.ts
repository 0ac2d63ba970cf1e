import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HIVE_BIN, tempDir, waitFor } from '../helpers/hive.js';

test('hive up serves the API on a real socket with the admin token it wrote (0600); requests without it get 401', { timeout: 60_000 }, async () => {
  const t = tempDir();
  const child = spawn(process.execPath, [HIVE_BIN, 'up', '--quiet', '--port', '0', '--data', join(t.dir, 'data')], { cwd: t.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  try {
    await waitFor(() => /API on (http:\/\/\S+)\/api\/v1/.test(out), 20_000, `the API address in: ${out}`);
    const base = /API on (http:\/\/\S+)\/api\/v1/.exec(out)![1];
    const file = /admin token written to (\S+)/.exec(out)![1];
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
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    t.cleanup();
  }
});
