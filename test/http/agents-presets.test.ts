import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/http/app.js';
import { createToken } from '../../src/http/auth.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { workspaceOf } from '../../src/core/workspace.js';
import { makeRepo } from '../helpers/git.js';
import { tempDir, testHive, waitFinal } from '../helpers/hive.js';

test('agents over HTTP: coding-agent presets with their options and watchdogs; command/worker options; wrong mixes are 400', async () => {
  const h = await testHive();
  const app = await buildApp(h.hive);
  const { token } = await createToken(h.hive.store, 'admin', 't');
  const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: unknown) => app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${token}` } });
  try {
    let r = await call('POST', '/api/v1/agents', { name: 'claude', runtime: 'claude-code', model: 'claude-sonnet-4', permissionMode: 'bypassPermissions', maxTurns: 20, extraArgs: ['--verbose'], capabilities: ['code'], idleTimeoutMs: 60_000, exitGraceMs: 5_000 });
    assert.equal(r.statusCode, 201, r.body);
    let a = (await h.hive.getAgent('claude'));
    assert.deepEqual(a.runtime, { kind: 'claude-code', model: 'claude-sonnet-4', permissionMode: 'bypassPermissions', maxTurns: 20, extraArgs: ['--verbose'] });
    assert.equal(a.limits.idleTimeoutMs, 60_000);
    assert.equal(a.limits.exitGraceMs, 5_000);
    // PATCH keeps the other preset options
    r = await call('PATCH', '/api/v1/agents/claude', { model: 'claude-opus-4' });
    assert.equal(r.statusCode, 200, r.body);
    a = await h.hive.getAgent('claude');
    assert.deepEqual(a.runtime, { kind: 'claude-code', model: 'claude-opus-4', permissionMode: 'bypassPermissions', maxTurns: 20, extraArgs: ['--verbose'] });
    for (const [method, url, body, field] of [
      ['PATCH', '/api/v1/agents/claude', { command: 'echo' }, 'command'],
      ['POST', '/api/v1/agents', { name: 'c2', runtime: 'command', command: 'true', model: 'x' }, 'model'],
      ['POST', '/api/v1/agents', { name: 'c3', runtime: 'command' }, 'command'],
      ['POST', '/api/v1/agents', { name: 'c4', runtime: 'aider', permissionMode: 'yolo' }, 'runtime.permissionMode'],
      ['POST', '/api/v1/agents', { name: 'c5', runtime: 'worker', command: 'w', shell: true }, 'shell'],
      ['POST', '/api/v1/agents', { name: 'c6', runtime: 'worker', command: 'w', tmux: true }, 'tmux'],
    ] as const) {
      r = await call(method, url, body);
      assert.equal(r.statusCode, 400, `${JSON.stringify(body)}: ${r.body}`);
      assert.equal(r.json().error.code, 'VALIDATION_FAILED');
      assert.ok(JSON.stringify(r.json().error).includes(field), `${field} in ${r.body}`);
    }
    assert.equal((await call('GET', '/api/v1/agents/c2')).statusCode, 404, 'a refused agent was not created');
    r = await call('POST', '/api/v1/agents', { name: 'sh', command: 'echo hi | cat', shell: true });
    assert.equal(r.statusCode, 201, r.body);
    assert.deepEqual((await h.hive.getAgent('sh')).runtime, { kind: 'command', command: 'echo hi | cat', shell: true });
    // tmux: set on a command agent, kept by a PATCH of other fields
    r = await call('POST', '/api/v1/agents', { name: 'tm', command: ['my-agent', '{prompt}'], tmux: true });
    assert.equal(r.statusCode, 201, r.body);
    r = await call('PATCH', '/api/v1/agents/tm', { slots: 2 });
    assert.deepEqual((await h.hive.getAgent('tm')).runtime, { kind: 'command', command: ['my-agent', '{prompt}'], tmux: true });
    r = await call('POST', '/api/v1/agents', { name: 'wk', runtime: 'worker', command: ['node', 'w.js'], heartbeatMs: 2_000 });
    assert.equal(r.statusCode, 201, r.body);
    assert.deepEqual((await h.hive.getAgent('wk')).runtime, { kind: 'worker', command: ['node', 'w.js'], heartbeatMs: 2_000 });
    // switching a preset to a command agent needs a command
    r = await call('PATCH', '/api/v1/agents/claude', { runtime: 'command', command: ['my-agent', '{prompt}'] });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual((await h.hive.getAgent('claude')).runtime, { kind: 'command', command: ['my-agent', '{prompt}'] });
  } finally {
    await app.close();
    await h.cleanup();
  }
});

test('agents over HTTP: a workspace is set, kept by a PATCH of other fields, removed by null; a task runs in its worktree; bad ones are 400 and change nothing', async () => {
  const t = tempDir();
  const h = await testHive({ workspaceRoots: [t.dir] });
  const app = await buildApp(h.hive);
  const { token } = await createToken(h.hive.store, 'admin', 't');
  const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: unknown) => app.inject({ method, url, payload: payload as object, headers: { authorization: `Bearer ${token}` } });
  try {
    const repo = join(t.dir, 'repo');
    makeRepo(repo);
    let r = await call('POST', '/api/v1/agents', { name: 'coder', command: ['sh', '-c', 'git rev-parse --abbrev-ref HEAD; echo made > made.txt'], workspace: { repo, cleanup: 'never' } });
    assert.equal(r.statusCode, 201, r.body);
    assert.deepEqual(r.json().runtime.workspace, { repo, cleanup: 'never', mode: 'worktree' });
    r = await call('PATCH', '/api/v1/agents/coder', { slots: 2 });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(workspaceOf(await h.hive.getAgent('coder')), { repo, cleanup: 'never', mode: 'worktree' });
    await h.hive.start();
    const task = await h.hive.enqueue({ title: 'in a worktree' });
    await waitFinal(h.hive, [task.id]);
    const done = await h.hive.getTask(task.id);
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.equal(done.output?.trim().split('\n')[0], `hive/coder/${task.id}`, 'it ran on its own branch');
    const ws = (done.result as { workspace: { branch: string; diffStat: string } }).workspace;
    assert.equal(ws.branch, `hive/coder/${task.id}`);
    assert.equal(existsSync(join(repo, 'made.txt')), false, 'the repository itself is untouched');

    for (const [body, field] of [
      [{ name: 'w1', command: 'true', workspace: { repo: 'relative/repo' } }, 'workspace.repo'],
      [{ name: 'w2', command: 'true', workspace: { repo: '/' } }, 'workspace.repo'],
      [{ name: 'w3', command: 'true', workspace: { repo, mode: 'copy' } }, 'workspace.mode'],
      [{ name: 'w4', command: 'true', workspace: { repo, branch: 'no-task-placeholder' } }, 'workspace.branch'],
      [{ name: 'w5', command: 'true', workspace: { repo, color: 'red' } }, 'workspace'],
      [{ name: 'w6', command: 'true', workdir: join(t.dir, 'w'), workspace: { repo } }, 'workdir'],
      [{ name: 'w7', command: 'true', workspace: { repo: join(t.dir, 'not-a-repo') } }, 'workspace.repo'],
    ] as const) {
      r = await call('POST', '/api/v1/agents', body);
      assert.equal(r.statusCode, 400, `${JSON.stringify(body)}: ${r.body}`);
      assert.equal(r.json().error.code, 'VALIDATION_FAILED');
      assert.ok(JSON.stringify(r.json().error).includes(field), `${field} in ${r.body}`);
      assert.equal((await call('GET', `/api/v1/agents/${body.name}`)).statusCode, 404, `${body.name} was not created`);
    }
    // a second agent on the same worktree place is refused
    r = await call('POST', '/api/v1/agents', { name: 'shared1', command: 'true', workspace: { repo, mode: 'shared' } });
    assert.equal(r.statusCode, 201, r.body);
    r = await call('POST', '/api/v1/agents', { name: 'shared2', command: 'true', workspace: { repo, mode: 'shared' } });
    assert.equal(r.statusCode, 409, r.body);
    assert.equal(r.json().error.code, 'CONFLICT');
    r = await call('PATCH', '/api/v1/agents/coder', { workspace: null });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(workspaceOf(await h.hive.getAgent('coder')), null);
  } finally {
    await app.close();
    await h.cleanup();
    t.cleanup();
  }
});
