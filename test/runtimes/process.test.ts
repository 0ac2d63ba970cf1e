import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { DEFAULT_ENV_ALLOW, filterEnv, findProcessesWithEnv, isProcessAlive, killProcessGroup, readPidStart, terminateGroup } from '../../src/runtimes/process.js';
import { withTempDir } from '../contract/runtime.suite.js';

/** A detached shell (its own process group) running `script`; resolves with what it printed first. */
async function group(script: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; first: string }> {
  const child = spawn('/bin/sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: { PATH: process.env.PATH!, ...env } });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, first: chunk.toString().trim() };
}

const NO_SUCH_PID = 2 ** 22 + 12_345; // above Linux's pid_max

describe('process helpers', () => {
  it('reads a process start time, even when its name holds spaces and parens', async () => {
    await withTempDir(async (dir) => {
      const odd = join(dir, 'a) b (c');
      await copyFile('/bin/sleep', odd);
      const child = spawn(odd, ['5'], { stdio: 'ignore' });
      try {
        await once(child, 'spawn');
        const start = readPidStart(child.pid!);
        assert.ok(Number.isInteger(start) && start! > 0, `start time ${start}`);
        assert.equal(readPidStart(child.pid!), start);
        assert.equal(isProcessAlive(child.pid!, start), true);
        assert.equal(isProcessAlive(child.pid!, start! + 1), false, 'another start time is another process');
      } finally {
        child.kill('SIGKILL');
      }
    });
    assert.equal(readPidStart(NO_SUCH_PID), null);
  });

  it('tells dead, zombie and live processes apart', async () => {
    assert.equal(isProcessAlive(process.pid, null), true);
    assert.equal(isProcessAlive(process.pid, readPidStart(process.pid)), true);
    assert.equal(isProcessAlive(NO_SUCH_PID, null), false);
    assert.equal(isProcessAlive(0, null), false);
    const child = spawn('/bin/true');
    await once(child, 'exit');
    assert.equal(isProcessAlive(child.pid!, null), false);
  });

  it('refuses to signal pid 0 or 1 as a group, and ignores a gone group', () => {
    assert.equal(killProcessGroup(1, 0), false);
    assert.equal(killProcessGroup(0, 0), false);
    assert.equal(killProcessGroup(NO_SUCH_PID, 'SIGTERM'), false);
  });

  it('terminateGroup: a group that honours SIGTERM is gone well before the grace', async () => {
    const { child, first } = await group('sleep 30 & echo $!; wait');
    const t0 = Date.now();
    await terminateGroup(child.pid!, 5_000);
    assert.ok(Date.now() - t0 < 2_000, `took ${Date.now() - t0} ms`);
    assert.equal(isProcessAlive(Number(first), null), false);
  });

  it('terminateGroup: SIGKILLs members that ignore SIGTERM once the grace has passed', async () => {
    // ignored signals stay ignored across fork and exec, so the background sleep ignores SIGTERM too
    const { child, first } = await group(`trap '' TERM; sleep 30 & echo $!; wait`);
    const sleeper = Number(first);
    const start = readPidStart(sleeper);
    const t0 = Date.now();
    await terminateGroup(child.pid!, 200);
    assert.ok(Date.now() - t0 >= 190, 'waited for the grace');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(isProcessAlive(sleeper, start), false);
  });

  it('finds processes by an environment marker', async () => {
    const marker = randomUUID();
    const { child } = await group('echo up; exec sleep 30', { HIVE_TEST_MARKER: marker });
    try {
      assert.deepEqual(findProcessesWithEnv('HIVE_TEST_MARKER', marker), [child.pid]);
      assert.deepEqual(findProcessesWithEnv('HIVE_TEST_MARKER', `${marker}x`), []);
    } finally {
      killProcessGroup(child.pid!, 'SIGKILL');
    }
  });

  it('filters the environment through an allow-list with PREFIX* entries', () => {
    const env = { PATH: '/bin', LC_ALL: 'C', LC_TIME: 'C', HOME: '/h', ANTHROPIC_API_KEY: 'sk', HIVE_TOKEN: 't', NODE_OPTIONS: '--require x', UNSET: undefined };
    assert.deepEqual(filterEnv(env), { PATH: '/bin', LC_ALL: 'C', LC_TIME: 'C', HOME: '/h' });
    assert.deepEqual(filterEnv(env, ['HIVE_*']), { HIVE_TOKEN: 't' });
    assert.ok(DEFAULT_ENV_ALLOW.includes('PATH'));
  });
});
