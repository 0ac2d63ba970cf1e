import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/cli/config.js';
import { HIVE_BIN, startUp, tempDir, waitFor } from '../helpers/hive.js';

test('hive.yaml hooks: global and per-agent hooks load with their defaults; a bad one is CONFIG_INVALID naming the path', () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'hive.yaml');
    writeFileSync(file, `hooks:
  - { command: "echo hi", events: [task.completed, "run.*"] }
  - { webhook: "http://127.0.0.1:9999/h", timeout: 2s }
agents:
  - { name: coder, command: "true", hooks: [ { command: "notify $HIVE_TASK_ID" } ] }
`);
    const c = loadConfig({}, {}, t.dir);
    assert.deepEqual(c.hooks, [
      { command: 'echo hi', events: ['task.completed', 'run.*'], agents: [], timeoutMs: 10_000 },
      { webhook: 'http://127.0.0.1:9999/h', events: [], agents: [], timeoutMs: 2_000 },
      { command: 'notify $HIVE_TASK_ID', events: [], agents: ['coder'], timeoutMs: 10_000 },
    ]);
    for (const [body, path] of [
      ['hooks:\n  - { command: x, webhook: "http://a" }\n', 'hooks.0'],
      ['hooks:\n  - { webhook: "ftp://a" }\n', 'hooks.0.webhook'],
      ['hooks:\n  - { command: x, events: [Task] }\n', 'hooks.0.events.0'],
      ['agents:\n  - { name: a, command: "true", hooks: [ { cmd: x } ] }\n', 'agents.0.hooks.0'],
    ]) {
      writeFileSync(file, body);
      assert.throws(() => loadConfig({}, {}, t.dir), (e: Error & { code?: string; details?: { issues: { path: string }[] } }) => e.code === 'CONFIG_INVALID' && e.details!.issues[0].path.startsWith(path), body);
    }
  } finally {
    t.cleanup();
  }
});

test('hive up runs the hooks of hive.yaml on task state changes (agent hooks only for their agent)', { timeout: 60_000 }, async () => {
  const t = tempDir();
  const out = join(t.dir, 'events.log');
  writeFileSync(join(t.dir, 'hive.yaml'), `hooks:
  - { command: 'echo "$HIVE_EVENT $HIVE_TASK_ID $HIVE_AGENT $HIVE_NEW_STATUS" >> ${out}', events: ["task.*"] }
agents:
  - { name: a, capabilities: [x], command: "true", hooks: [ { command: 'echo "$HIVE_EVENT" >> ${out}.a', events: [task.completed] } ] }
  - { name: b, capabilities: [y], command: "true" }
`);
  const up = await startUp(t.dir, ['--data', join(t.dir, 'data')]);
  try {
    const add = (cap: string): string => spawnSync(process.execPath, [HIVE_BIN, '--data', join(t.dir, 'data'), 'task', 'add', '--title', cap, '--cap', cap], { cwd: t.dir, encoding: 'utf8' }).stdout.trim();
    const x = add('x');
    const y = add('y');
    await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes(`task.completed ${y} b completed`) && readFileSync(out, 'utf8').includes(`task.completed ${x} a completed`), 20_000, 'the global hook');
    await waitFor(() => existsSync(`${out}.a`), 10_000, 'the agent hook');
    assert.equal(readFileSync(`${out}.a`, 'utf8'), 'task.completed\n', "a's hook ran once, for a's task only");
  } finally {
    await up.stop();
    t.cleanup();
  }
});
