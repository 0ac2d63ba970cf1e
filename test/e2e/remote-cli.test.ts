import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HIVE_BIN, startUp, tempDir, waitFor } from '../helpers/hive.js';

test('the CLI with --server/--token gives the same output and exit codes as on the data directory', { timeout: 90_000 }, async () => {
  const t = tempDir();
  const data = join(t.dir, 'data');
  const up = await startUp(t.dir, ['--data', data]);
  try {
    const server = up.base;
    const token = readFileSync(join(data, 'admin.token'), 'utf8').trim();
    const env = { ...process.env, HIVE_SERVER: '', HIVE_TOKEN: '' };
    const local = (...args: string[]) => spawnSync(process.execPath, [HIVE_BIN, '--data', data, ...args], { cwd: t.dir, encoding: 'utf8', env });
    const remote = (...args: string[]) => spawnSync(process.execPath, [HIVE_BIN, '--server', server, '--token', token, ...args], { cwd: t.dir, encoding: 'utf8', env });

    // writes go through the server
    assert.equal(remote('agent', 'add', 'echo', '--cap', 'say', '--command', 'echo said {prompt}', '--workdir', join(t.dir, 'w')).status, 0);
    const a = remote('task', 'add', '--title', 'first', '--prompt', 'hello', '--cap', 'say');
    assert.equal(a.status, 0, a.stderr);
    const id = a.stdout.trim();
    const b = remote('task', 'add', '--title', 'second', '--cap', 'say', '--after', id, '--priority', 'high');
    assert.equal(b.status, 0, b.stderr);
    const d = remote('task', 'add', '--title', 'never', '--cap', 'nobody', '--max-attempts', '1');
    assert.equal(d.status, 0, d.stderr);
    await waitFor(() => JSON.parse(local('task', 'show', b.stdout.trim(), '--json').stdout).status === 'completed', 20_000, 'the tasks to complete');

    const same = [
      ['task', 'list'], ['task', 'list', '--json'], ['task', 'list', '--status', 'completed', '--desc'], ['task', 'show', id], ['task', 'show', id, '--json'],
      ['task', 'logs', id], ['task', 'logs', id, '--json'], ['logs', id], ['agent', 'list'], ['agent', 'list', '--json'], ['agent', 'show', 'echo', '--json'], ['dlq', 'list'],
      ['events', '--task', id, '--json'], ['token', 'list', '--json'],
      // errors: same line on stderr, same exit code
      ['task', 'show', '999'], ['task', 'show', 'abc'], ['task', 'cancel', id], ['task', 'retry', id], ['task', 'add', '--title', 'x', '--priority', 'urgent'],
      ['task', 'add', '--title', 'x', '--after', '424242'], ['agent', 'show', 'nobody'], ['dlq', 'requeue', id], ['task', 'logs', id, '--attempt', '5'],
    ];
    for (const args of same) {
      const l = local(...args);
      const r = remote(...args);
      assert.equal(r.status, l.status, `exit code of ${args.join(' ')}: local ${l.status} ${l.stderr}, remote ${r.status} ${r.stderr}`);
      assert.equal(r.stdout, l.stdout, `stdout of ${args.join(' ')}`);
      assert.equal(r.stderr, l.stderr, `stderr of ${args.join(' ')}`);
    }
    // a change made remotely is seen locally
    assert.match(remote('task', 'cancel', d.stdout.trim()).stdout, /cancelled/);
    assert.equal(JSON.parse(local('task', 'show', d.stdout.trim(), '--json').stdout).status, 'cancelled');
    const bad = remote('task', 'list');
    assert.equal(bad.status, 0);
    const noToken = spawnSync(process.execPath, [HIVE_BIN, '--server', server, 'task', 'list'], { encoding: 'utf8', env });
    assert.match(noToken.stderr, /^error VALIDATION_FAILED: token: required with --server/m);
    const wrong = spawnSync(process.execPath, [HIVE_BIN, '--server', server, '--token', 'hive_wrongwrongwrong', 'task', 'list'], { encoding: 'utf8', env });
    assert.match(wrong.stderr, /^error UNAUTHENTICATED: /m);
    assert.equal(wrong.status, 1);
  } finally {
    assert.equal(await up.stop(), 0, up.output());
    t.cleanup();
  }
});
