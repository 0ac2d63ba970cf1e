import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHive } from '../../src/index.js';
import { assertNothingLeftBehind } from '../helpers/crash.js';
import { HIVE_BIN, ROOT, allEvents, sleep, tempDir, waitFor } from '../helpers/hive.js';

const TASKS = 40;
const KILLS = 3;

function up(dir: string): ChildProcess {
  return spawn(process.execPath, [HIVE_BIN, 'up', '--quiet', '--port', '0', '--data', join(dir, 'data'), '--config', join(dir, 'hive.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
}

test('kill -9 of `hive up` at random moments, repeatedly: every task completes exactly once and orphans die before re-runs', { timeout: 120_000 }, async () => {
  const t = tempDir('hive-crash-');
  const marker = join(t.dir, 'markers.txt');
  const agent = join(ROOT, 'test/fixtures/e2e/marker-agent.mjs');
  writeFileSync(
    join(t.dir, 'hive.yaml'),
    [
      'engine: { poll: 20ms, reap_interval: 100ms, kill_grace: 500ms, drain: 5s }',
      'defaults: { max_attempts: 10, backoff: 10ms, backoff_cap: 50ms }',
      'agents:',
      '  - name: worker',
      '    capabilities: [work]',
      `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(agent)}]`,
      '    slots: 4',
      `    env: { MARKER_FILE: ${JSON.stringify(marker)} }`,
      '',
    ].join('\n'),
  );
  const reader = await createHive({ dataDir: join(t.dir, 'data') });
  try {
    const ids = (await reader.submit(Array.from({ length: TASKS }, (_, i) => ({ title: `job ${i}`, capabilities: ['work'] })))).map((r) => r.task.id);
    const orphanPids = new Set<number>();
    let killedWithRunning = 0;

    for (let round = 0; round < KILLS; round++) {
      const child = up(t.dir);
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      // wait until this incarnation runs something, then a random extra moment, then SIGKILL
      await waitFor(async () => (await reader.listTasks({ status: ['running'] })).some((x) => x.leaseUntil !== null), 20_000, `round ${round}: a running task`);
      await sleep(50 + Math.floor(Math.random() * 300));
      child.kill('SIGKILL');
      await exited;
      const running = await reader.store.runningAttempts();
      if (running.length) killedWithRunning++;
      for (const r of running) if (r.pid) orphanPids.add(r.pid);
    }

    const final = up(t.dir);
    let out = '';
    final.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => final.on('exit', (code) => r(code)));
    await waitFor(async () => (await reader.listTasks({ status: ['completed', 'dead', 'cancelled'], limit: 1000 })).length === TASKS, 60_000, 'every task to finish');
    final.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(out, /recovered \d+ attempt\(s\), killed \d+ orphan process/);

    // every task completed, and its completion was recorded exactly once
    const tasks = await Promise.all(ids.map((id) => reader.getTask(id)));
    assert.deepEqual(tasks.filter((x) => x.status !== 'completed').map((x) => `${x.id}:${x.status}:${x.reason}`), []);
    const events = await allEvents(reader);
    const completions = new Map<string, number>();
    for (const e of events.filter((x) => x.type === 'task.completed')) completions.set(e.subject, (completions.get(e.subject) ?? 0) + 1);
    assert.equal(completions.size, TASKS);
    assert.ok([...completions.values()].every((n) => n === 1), 'a task was completed twice');
    assert.ok(killedWithRunning >= 1, 'no kill hit a running attempt');
    assert.ok(events.some((e) => e.type === 'task.failed' && e.data.code === 'ORCHESTRATOR_LOST'), 'no attempt was recovered with ORCHESTRATOR_LOST');

    await assertNothingLeftBehind(reader.store, join(t.dir, 'data'), t.dir, orphanPids, marker);
  } finally {
    await reader.store.close();
    t.cleanup();
  }
});
