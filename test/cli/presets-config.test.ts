import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/cli/config.js';
import { resolveAgentSpec } from '../../src/core/agent-input.js';
import { HiveError } from '../../src/core/errors.js';
import type { AgentSpec } from '../../src/core/store.js';
import { agentSpec, tempDir } from '../helpers/hive.js';

test('hive.yaml presets: runtime claude-code | codex | gemini | aider with their options and the watchdog limits', () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'hive.yaml');
    writeFileSync(file, `agents:
  - name: claude
    runtime: claude-code
    model: sonnet
    permission_mode: acceptEdits
    max_turns: 30
    extra_args: [--add-dir, ../shared]
    limits: { idle_timeout: 5m, exit_grace: 10s }
  - { name: codex, runtime: codex, binary: ./bin/codex }
  - { name: gemini, runtime: gemini, permission_mode: yolo, binary: gemini-nightly }
  - { name: aider, runtime: aider, model: gpt-5, limits: { idle_timeout: 0 } }
  - { name: plain, command: "true", limits: { exit_grace: 1s } }
`);
    const agents = loadConfig({}, {}, t.dir).agents;
    assert.deepEqual(agents.map((a) => a.runtime), [
      { kind: 'claude-code', model: 'sonnet', extraArgs: ['--add-dir', '../shared'], permissionMode: 'acceptEdits', maxTurns: 30 },
      { kind: 'codex', binary: join(t.dir, 'bin/codex') },
      { kind: 'gemini', permissionMode: 'yolo', binary: 'gemini-nightly' },
      { kind: 'aider', model: 'gpt-5' },
      { kind: 'command', command: 'true' },
    ]);
    assert.deepEqual(agents[0].limits, { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0, idleTimeoutMs: 300_000, exitGraceMs: 10_000 });
    assert.equal(agents[1].limits.idleTimeoutMs, undefined, 'absent: the runtime default');
    assert.equal(agents[3].limits.idleTimeoutMs, 0);
    assert.equal(agents[4].limits.exitGraceMs, 1_000);
    for (const a of agents) assert.deepEqual(resolveAgentSpec(a), a, 'the API accepts what hive.yaml gives');

    for (const [body, path] of [
      ['agents:\n  - { name: a, runtime: claude-code, command: claude }\n', 'agents.0.command'],
      ['agents:\n  - { name: a, runtime: codex, max_turns: 3 }\n', 'agents.0.max_turns'],
      ['agents:\n  - { name: a, runtime: aider, permission_mode: yolo }\n', 'agents.0.permission_mode'],
      ['agents:\n  - { name: a, command: x, model: sonnet }\n', 'agents.0.model'],
      ['agents:\n  - { name: a, runtime: gemini, extra_args: "--yolo" }\n', 'agents.0.extra_args'],
      ['agents:\n  - { name: a, runtime: claude-code, limits: { idle_timeout: soon } }\n', 'agents.0.limits.idle_timeout'],
      ['agents:\n  - { name: a, runtime: cursor }\n', 'agents.0.runtime'],
    ]) {
      writeFileSync(file, body);
      assert.throws(() => loadConfig({}, {}, t.dir), (e: Error & { code?: string; details?: { issues: { path: string }[] } }) => e.code === 'CONFIG_INVALID' && e.details!.issues[0].path === path, body);
    }
  } finally {
    t.cleanup();
  }
});

test('the agent API validates preset options and the watchdog limits', () => {
  const spec = (runtime: unknown, limits: Record<string, unknown> = {}): AgentSpec => {
    const s = agentSpec('a', [], runtime as AgentSpec['runtime']);
    return { ...s, limits: { ...s.limits, ...limits } };
  };
  assert.doesNotThrow(() => resolveAgentSpec(spec({ kind: 'codex', model: 'gpt-5-codex', permissionMode: 'read-only' }, { idleTimeoutMs: 0, exitGraceMs: 500 })));
  for (const [bad, path] of [
    [spec({ kind: 'claude-code', command: 'claude' }), 'runtime.command'],
    [spec({ kind: 'claude-code', maxTurns: 0 }), 'runtime.maxTurns'],
    [spec({ kind: 'gemini', maxTurns: 3 }), 'runtime.maxTurns'],
    [spec({ kind: 'aider', permissionMode: 'yolo' }), 'runtime.permissionMode'],
    [spec({ kind: 'claude-code', permissionMode: 'a b' }), 'runtime.permissionMode'],
    [spec({ kind: 'codex', extraArgs: [1] }), 'runtime.extraArgs'],
    [spec({ kind: 'codex', binary: '' }), 'runtime.binary'],
    [spec({ kind: 'codex', colour: 'red' }), 'runtime.colour'],
    [spec({ kind: 'codex' }, { idleTimeoutMs: -1 }), 'limits.idleTimeoutMs'],
    [spec({ kind: 'command', command: 'x' }, { exitGraceMs: '1s' }), 'limits.exitGraceMs'],
  ] as const) {
    assert.throws(() => resolveAgentSpec(bad), (e: unknown) => e instanceof HiveError && e.code === 'VALIDATION_FAILED' && (e.details!.issues as { path: string }[])[0].path === path, path);
  }
});
