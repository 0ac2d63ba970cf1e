import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHive } from '../../src/index.js';
import { ROOT, startUp, tempDir, waitFor } from '../helpers/hive.js';

/** The ```sh blocks of a markdown file that contain curl. */
function curlBlocks(file: string): string[] {
  const md = readFileSync(join(ROOT, file), 'utf8');
  return [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('curl '));
}

test('the curl examples of README.md and docs/http-api.md run against a real hive up', { timeout: 60_000 }, async () => {
  const t = tempDir();
  const up = await startUp(t.dir);
  try {
    const port = new URL(up.base).port;
    const blocks = [...curlBlocks('docs/http-api.md'), ...curlBlocks('README.md')];
    assert.ok(blocks.length >= 2, 'both files show curl examples');
    for (const block of blocks) {
      const script = block
        .replaceAll('127.0.0.1:4477', `127.0.0.1:${port}`)
        .replace(/curl -sN (.*?)( +#.*)?$/gm, 'curl -sN --max-time 1 $1 || [ $? -eq 28 ]'); // a follow ends by timeout
      const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script.replace(/curl -s /g, 'curl -sf ')], { cwd: t.dir, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.status, 0, `${script}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    }
    const check = await createHive({ dataDir: join(t.dir, '.hive') });
    try {
      assert.deepEqual((await check.listAgents()).map((a) => a.name), ['echo']);
      await waitFor(async () => (await check.listTasks()).slice(0, 2).every((x) => x.status === 'completed'), 10_000, 'the tasks the examples submitted to complete');
      const tasks = (await check.listTasks()).filter((x) => x.run === null);
      assert.equal(tasks.length, 3);
      assert.deepEqual(tasks[1].dependsOn, [tasks[0].id]);
      assert.equal(tasks[2].status, 'queued', 'cancelled, then retried');
      assert.deepEqual((await check.events(0, 1000, { subject: 'task:3' })).map((e) => e.type), ['task.enqueued', 'task.cancelled', 'task.requeued']);
      // the workflow examples: greet ran to the end; train was paused, resumed, cancelled and retried
      assert.deepEqual((await check.workflows.list()).map((w) => `${w.name}@${w.version}`), ['greet@1', 'train@1']);
      await waitFor(async () => (await check.workflows.getRun(1)).status === 'completed', 10_000, 'the greet run to complete');
      const greet = await check.workflows.getRun(1);
      assert.equal((await check.getTask(greet.steps![1].taskIds[0])).prompt, 'bye Ada');
      assert.equal((await check.workflows.getRun(2)).status, 'running');
      assert.deepEqual((await check.events(0, 1000, { subject: 'run:2' })).map((e) => e.type).filter((x) => x !== 'run.step'), ['run.created', 'run.paused', 'run.resumed', 'run.cancelled', 'run.retried']);
    } finally {
      await check.store.close();
    }
  } finally {
    assert.equal(await up.stop(), 0, up.output());
    t.cleanup();
  }
});
