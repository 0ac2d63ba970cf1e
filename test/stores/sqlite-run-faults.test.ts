/** A bug while advancing a workflow run must not undo or wedge the end of the task that triggered it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { DEFAULT_OPTIONS } from '../../src/core/options.js';
import { parseWorkflowDefinition } from '../../src/core/workflow-def.js';
import { openSqliteStore } from '../../src/stores/sqlite/store.js';
import { tempDir } from '../helpers/hive.js';

test('a run whose advance throws fails with INTERNAL; the task that ended stays completed', async () => {
  const t = tempDir();
  const file = join(t.dir, 'hive.db');
  try {
    let store = await openSqliteStore(file);
    await store.migrate();
    const a = await store.registerAgent({ name: 'w', role: '', capabilities: [], runtime: { kind: 'command', command: 'true' }, slots: 4, env: {}, workdir: null, limits: { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 } }, 1);
    const { spec } = parseWorkflowDefinition({ name: 'wf', steps: { one: {}, two: { needs: ['one'], prompt: '{{steps.one.output}}' } } });
    await store.defineWorkflow(spec, null, 1);
    const run = await store.createRun('wf', undefined, {}, DEFAULT_OPTIONS.taskDefaults, 2);
    await store.close();
    // the stored definition is corrupted behind Hive's back: a fresh store cannot compile it any more
    store = await openSqliteStore(file);
    store.db.raw.prepare(`UPDATE workflows SET definition = '{"name":"wf","steps":{"two":{"needs":["nope"]}}}'`).run();
    const [c] = await store.claim([{ agentId: a.id, name: 'w', capabilities: new Set(['agent:w']), free: 4, recentFailures: 0 }], 3, 30_000);
    await store.complete(c.task.id, c.attempt, { result: null, output: 'x', usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, exitCode: 0 }, 4);
    assert.equal((await store.getTask(c.task.id)).status, 'completed');
    const r = store.db.raw.prepare('SELECT status, error FROM workflow_runs WHERE id = ?').get(run.id) as { status: string; error: string };
    assert.equal(r.status, 'failed');
    assert.match(r.error, /^INTERNAL: advancing the run after step one failed: /);
    const ev = await store.readEvents(0, 1000, { subject: `run:${run.id}` });
    assert.equal(ev.at(-1)!.type, 'run.failed');
    await store.close();
  } finally {
    t.cleanup();
  }
});
