import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHive } from '../../src/index.js';
import { HIVE_BIN, ROOT, tempDir, waitFor } from '../helpers/hive.js';

/** The ```sh blocks of a markdown file that contain curl. */
function curlBlocks(file: string): string[] {
  const md = readFileSync(join(ROOT, file), 'utf8');
  return [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('curl '));
}

test('the curl examples of README.md and docs/http-api.md run against a real hive up', { timeout: 60_000 }, async () => {
  const t = tempDir();
  const child = spawn(process.execPath, [HIVE_BIN, 'up', '--quiet', '--port', '0'], { cwd: t.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  try {
    await waitFor(() => /API on http:\/\/127\.0\.0\.1:(\d+)/.test(out), 20_000, `the API address in: ${out}`);
    const port = /API on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1];
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
      await waitFor(async () => (await check.listTasks()).every((x) => x.status === 'completed'), 10_000, 'the tasks the examples submitted to complete');
      const tasks = await check.listTasks();
      assert.equal(tasks.length, 2);
      assert.deepEqual(tasks[1].dependsOn, [tasks[0].id]);
    } finally {
      await check.store.close();
    }
  } finally {
    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    t.cleanup();
  }
});
