import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/http/app.js';
import { createToken } from '../../src/http/auth.js';
import { testHive } from '../helpers/hive.js';

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
