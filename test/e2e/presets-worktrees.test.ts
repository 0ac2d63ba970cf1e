/**
 * The "done when" of the coding-agents work in one run: hive.yaml agents of all four presets, with the fake CLIs
 * on PATH, run tasks in their own git worktrees; usage and cost per task and per agent; the hang cases end by
 * the right watchdog with the right code; orphaned worktrees are pruned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../src/cli/config.js';
import { createHive } from '../../src/index.js';
import { ROOT, tempDir, waitFinal } from '../helpers/hive.js';
import { makeRepo, sh } from '../helpers/git.js';

const FAKES = join(ROOT, 'test/fixtures/fake-clis');

test('four presets on PATH, each task in its own worktree; usage and cost per task and agent; watchdog codes; prune', { timeout: 120_000 }, async () => {
  const t = tempDir();
  const repo = join(t.dir, 'repo');
  makeRepo(repo);
  const agent = (name: string, runtime: string, extra = ''): string =>
    `  - { name: ${name}, runtime: ${runtime}, capabilities: [${name}], slots: 3, ${extra}workspace: { repo: ./repo, cleanup: never }, limits: { idle_timeout: 1500ms, exit_grace: 400ms } }\n`;
  writeFileSync(
    join(t.dir, 'hive.yaml'),
    `defaults: { max_attempts: 1 }\nengine: { poll: 10ms, kill_grace: 500ms }\nagents:\n` +
      agent('claude', 'claude-code') + agent('codex', 'codex', 'model: gpt-5-codex, ') + agent('gemini', 'gemini') + agent('aider', 'aider'),
  );
  const config = loadConfig({ data: join(t.dir, 'data') }, {}, t.dir);
  const hive = await createHive({ ...config.options, workspaceRoots: config.workspaceRoots, env: { PATH: `${FAKES}:${dirname(process.execPath)}:${process.env.PATH}`, HOME: t.dir } });
  try {
    await hive.start({ agents: config.agents });
    const tools = ['claude', 'codex', 'gemini', 'aider'];
    const ok = await Promise.all(tools.map((cap) => hive.enqueue({ title: `${cap} ok`, capabilities: [cap], prompt: 'mode=ok' })));
    const silent = await Promise.all(tools.map((cap) => hive.enqueue({ title: `${cap} silent`, capabilities: [cap], prompt: 'mode=hang-silent' })));
    const hung = await Promise.all(['claude', 'codex', 'gemini'].map((cap) => hive.enqueue({ title: `${cap} hung`, capabilities: [cap], prompt: 'mode=hang-after-result' })));
    await waitFinal(hive, [...ok, ...silent, ...hung].map((x) => x.id), 60_000);

    const branches = new Set<string>();
    for (const [i, task] of ok.entries()) {
      const done = await hive.getTask(task.id);
      assert.equal(done.status, 'completed', `${tools[i]}: ${done.error}`);
      assert.ok(done.usage.inputTokens > 0 && done.usage.outputTokens > 0 && done.usage.costUsd > 0, `${tools[i]} usage ${JSON.stringify(done.usage)}`);
      const ws = (done.result as { workspace: { branch: string; worktree: string; baseCommit: string } }).workspace;
      assert.equal(ws.branch, `hive/${tools[i]}/${task.id}`);
      assert.ok(existsSync(ws.worktree) && ws.worktree !== repo, `${tools[i]} ran in its own worktree ${ws.worktree}`);
      assert.equal(ws.baseCommit, sh(repo, 'rev-parse', 'main'));
      branches.add(ws.branch);
    }
    assert.equal(branches.size, 4);
    for (const name of tools) {
      const a = await hive.getAgent(name);
      assert.ok(a.usage.inputTokens > 0 && a.usage.costUsd > 0, `agent ${name} usage ${JSON.stringify(a.usage)}`);
    }
    for (const task of silent) {
      const [attempt] = await hive.attempts(task.id);
      assert.equal((await hive.getTask(task.id)).status, 'dead');
      assert.equal(attempt.errorCode, 'IDLE_TIMEOUT', `${task.title}: ${attempt.error}`);
    }
    for (const task of hung) {
      const done = await hive.getTask(task.id);
      assert.equal(done.status, 'completed', `${task.title} keeps its result: ${done.error}`);
      assert.ok(done.usage.inputTokens > 0);
    }
    // every task is final, cleanup: never kept their worktrees: all are orphans now, and prune removes them
    const before = await hive.worktrees();
    assert.equal(before.length, ok.length + silent.length + hung.length);
    assert.ok(before.every((w) => !w.live));
    const pruned = await hive.pruneWorktrees();
    assert.equal(pruned.length, before.length);
    assert.deepEqual(await hive.worktrees(), []);
    assert.ok(pruned.every((w) => !existsSync(w.path)));
    for (const b of branches) assert.equal(sh(repo, 'branch', '--list', b).replace(/^[*+ ]+/, ''), b, 'branches stay');
  } finally {
    await hive.close({ drainMs: 0 });
    t.cleanup();
  }
});
