import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HIVE_BIN, ROOT, startUp, tempDir, waitFor } from '../helpers/hive.js';

test('hive status shows tokens and cost per agent after preset agents ran (fake claude and aider)', { timeout: 60_000 }, async () => {
  const t = tempDir();
  const fakes = join(ROOT, 'test/fixtures/fake-clis');
  writeFileSync(join(t.dir, 'hive.yaml'), `agents:
  - { name: claude, runtime: claude-code, binary: ${join(fakes, 'claude')}, capabilities: [claude] }
  - { name: aider, runtime: aider, binary: ${join(fakes, 'aider')}, capabilities: [aider] }
`);
  const data = join(t.dir, 'data');
  const hive = (...args: string[]) => spawnSync(process.execPath, [HIVE_BIN, '--data', data, ...args], { cwd: t.dir, encoding: 'utf8' });
  const up = await startUp(t.dir, ['--data', data]);
  try {
    const ids = ['claude', 'aider'].map((cap) => hive('task', 'add', '--title', `edit with ${cap}`, '--cap', cap, '--prompt', 'mode=ok').stdout.trim());
    await waitFor(() => ids.every((id) => JSON.parse(hive('task', 'show', id, '--json').stdout).status === 'completed'), 30_000, 'both tasks');
    const task = JSON.parse(hive('task', 'show', ids[0], '--json').stdout);
    assert.ok(task.usage.inputTokens > 0 && task.usage.costUsd > 0, JSON.stringify(task.usage));
    const s = JSON.parse(hive('status', '--json').stdout);
    assert.ok(s.usage.costUsd > task.usage.costUsd, 'the total covers both agents');
    const text = hive('status').stdout;
    assert.match(text, /^AGENT +DONE +FAILED +INPUT +OUTPUT +COST$/m);
    assert.match(text, new RegExp(`^claude +1 +0 +${task.usage.inputTokens} +${task.usage.outputTokens} +\\$${task.usage.costUsd.toFixed(4).replace('.', '\\.')}$`, 'm'));
    assert.match(text, /^aider +1 +0 +\d+ +\d+ +\$0\.\d{4}$/m);
  } finally {
    await up.stop();
    t.cleanup();
  }
});
