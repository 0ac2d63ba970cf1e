import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HiveError } from '../../src/core/errors.js';
import { resolveTaskInput } from '../../src/core/task-input.js';
import { DEFAULT_OPTIONS } from '../../src/core/options.js';
import { openSqliteStore } from '../../src/stores/sqlite/store.js';
import { tempDir } from '../helpers/hive.js';

test('a full disk is STORE_UNAVAILABLE naming the SQLite code, and the failed write changes nothing', async () => {
  const t = tempDir();
  const store = await openSqliteStore(join(t.dir, 'hive.db'));
  try {
    const pages = store.db.raw.pragma('page_count', { simple: true }) as number;
    store.db.raw.pragma(`max_page_count = ${pages + 2}`); // a disk with room for two more pages
    const big = Array.from({ length: 500 }, (_, i) => resolveTaskInput({ title: `t${i}`, prompt: 'p'.repeat(4000) }, DEFAULT_OPTIONS.taskDefaults));
    await assert.rejects(store.enqueue(big, 1), (e: unknown) => e instanceof HiveError && e.code === 'STORE_UNAVAILABLE' && /SQLITE_FULL/.test(e.message));
    assert.deepEqual(await store.listTasks({}), []);
    assert.equal(await store.lastEventSeq(), 0);
  } finally {
    await store.close();
    t.cleanup();
  }
});
