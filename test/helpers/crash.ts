import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { findProcessesWithEnv, isProcessAlive } from '../../src/runtimes/process.js';
import type { Store } from '../../src/core/store.js';

/**
 * What a kill -9 test checks once the last `hive up` is gone: no lease is held, no agent process of the data
 * directory survives, every orphan is dead, and no orphan kept working once the next attempt of its task had
 * started. `marker` holds lines `start|end TASK ATTEMPT _ TIME` written by the test's agent.
 */
export async function assertNothingLeftBehind(store: Store, dataDir: string, testDir: string, orphanPids: Iterable<number>, marker: string): Promise<void> {
  assert.equal((await store.runningAttempts()).length, 0);
  assert.deepEqual(findProcessesWithEnv('HIVE_DATA_DIR', dataDir), []);
  for (const pid of orphanPids) assert.ok(!isProcessAlive(pid, null) || !existsSync(`/proc/${pid}/environ`) || !readFileSync(`/proc/${pid}/environ`, 'utf8').includes(testDir), `orphan ${pid} still alive`);

  const lines = readFileSync(marker, 'utf8').trim().split('\n').map((l) => l.split(' '));
  const byTask = new Map<string, { kind: string; attempt: number; time: number }[]>();
  for (const [kind, id, attempt, , time] of lines) {
    const list = byTask.get(id) ?? [];
    list.push({ kind, attempt: Number(attempt), time: Number(time) });
    byTask.set(id, list);
  }
  for (const [id, list] of byTask) {
    for (const end of list.filter((x) => x.kind === 'end')) {
      const laterStart = list.find((x) => x.kind === 'start' && x.attempt > end.attempt);
      assert.ok(!laterStart || laterStart.time >= end.time, `task ${id}: attempt ${end.attempt} still ran after attempt ${laterStart?.attempt} started`);
    }
  }
}
