import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../../src/cli/config.js';
import { agentSpec, ROOT, tempDir, testHive, waitFinal } from '../helpers/hive.js';
import { writeFileSync } from 'node:fs';

const FAKE_CODEX = join(ROOT, 'test/fixtures/fake-clis/codex');

test('prices from the configuration price a model the built-in table does not know (codex prints no USD)', async () => {
  const { hive, cleanup } = await testHive({ prices: { 'my-model': { input: 1, output: 1, cacheRead: 1, cacheWrite: 1 } } });
  try {
    await hive.registerAgent(agentSpec('cx', ['cx'], { kind: 'codex', model: 'my-model', binary: FAKE_CODEX }));
    await hive.registerAgent(agentSpec('unpriced', ['un'], { kind: 'codex', model: 'unknown-model', binary: FAKE_CODEX }));
    await hive.start();
    const a = await hive.enqueue({ title: 'priced', capabilities: ['cx'], prompt: 'mode=ok' });
    const b = await hive.enqueue({ title: 'unpriced', capabilities: ['un'], prompt: 'mode=ok' });
    await waitFinal(hive, [a.id, b.id], 20_000);
    const t = await hive.getTask(a.id);
    assert.equal(t.status, 'completed', t.error ?? '');
    assert.ok(t.usage.inputTokens > 0);
    // every kind of token at $1 per million: the cost is the token count / 1e6
    assert.equal(Math.round(t.usage.costUsd * 1e9), Math.round(((t.usage.inputTokens + t.usage.outputTokens) / 1e6) * 1e9));
    const u = await hive.getTask(b.id);
    assert.equal(u.usage.costUsd, 0, 'a model with no price costs nothing known');
    assert.equal(u.usage.inputTokens, t.usage.inputTokens);
  } finally {
    await cleanup();
  }
});

test('hive.yaml prices: snake_case keys become the options; a bad one is CONFIG_INVALID', () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, 'hive.yaml'), 'prices:\n  my-model: { input: 2, output: 8, cache_read: 0.5 }\n');
    assert.deepEqual(loadConfig({}, {}, t.dir).options.prices, { 'my-model': { input: 2, output: 8, cacheRead: 0.5 } });
    writeFileSync(join(t.dir, 'hive.yaml'), 'prices:\n  my-model: { input: -1 }\n');
    assert.throws(() => loadConfig({}, {}, t.dir), (e: Error & { code?: string; details?: { issues: { path: string }[] } }) => e.code === 'CONFIG_INVALID' && e.details!.issues[0].path === 'prices.my-model.input');
  } finally {
    t.cleanup();
  }
});
