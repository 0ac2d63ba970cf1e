import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/stores/sqlite/store.js';
import { runStoreSuite } from '../contract/store.suite.js';

runStoreSuite('sqlite', async (opts = {}) => {
  const dir = await mkdtemp(join(tmpdir(), 'hive-sqlite-'));
  const store = await openSqliteStore(join(dir, 'hive.db'), { random: opts.random });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
