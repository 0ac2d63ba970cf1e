import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createHive } from '../../src/index.js';
import { findProcessesWithEnv, isProcessAlive } from '../../src/runtimes/process.js';
import { fixture } from '../contract/runtime.suite.js';
import { HIVE_BIN, tempDir, waitFor } from '../helpers/hive.js';

function up(dir: string): ChildProcess {
  return spawn(process.execPath, [HIVE_BIN, 'up', '--quiet', '--port', '0', '--data', join(dir, 'data'), '--config', join(dir, 'hive.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
}

const hasSession = (socket: string, session: string): boolean => spawnSync('tmux', ['-S', socket, 'has-session', '-t', `=${session}`]).status === 0;

test('kill -9 of hive up while a tmux agent runs: the session outlives it, the next hive up kills agent, pane and session', { timeout: 60_000 }, async () => {
  const t = tempDir('hive-tmux-crash-');
  const dataDir = join(t.dir, 'data');
  const socket = join(dataDir, 'tmux.sock');
  writeFileSync(
    join(t.dir, 'hive.yaml'),
    [
      'engine: { poll: 20ms, reap_interval: 100ms, kill_grace: 500ms, drain: 2s }',
      'agents:',
      '  - name: watched',
      '    capabilities: [work]',
      `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(fixture('hang.mjs'))}, --ignore-term]`,
      '    tmux: true',
      '',
    ].join('\n'),
  );
  const reader = await createHive({ dataDir });
  const children: ChildProcess[] = [];
  try {
    const task = await reader.enqueue({ title: 'hang in tmux', capabilities: ['work'], maxAttempts: 1 });
    const session = `hive-watched-${task.id}-1`;
    const first = up(t.dir);
    children.push(first);
    await waitFor(async () => (await reader.attempts(task.id))[0]?.pid != null && hasSession(socket, session), 20_000, 'the attempt in its session');
    const ours = new Set(findProcessesWithEnv('HIVE_DATA_DIR', dataDir));
    const [agent] = findProcessesWithEnv('HIVE_TASK_ID', String(task.id)).filter((p) => ours.has(p));
    assert.ok(agent, 'the agent process carries HIVE_DATA_DIR');

    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    assert.ok(isProcessAlive(agent, null), 'the agent outlives the orchestrator');
    assert.ok(hasSession(socket, session), 'and so does its session');

    const second = up(t.dir);
    children.push(second);
    let out = '';
    second.stdout!.on('data', (d) => (out += d));
    second.stderr!.on('data', (d) => (out += d));
    await waitFor(async () => (await reader.getTask(task.id)).status === 'dead', 20_000, 'the task to be recovered').catch(async (err) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(await reader.getTask(task.id))}\n${out}`);
    });
    assert.match((await reader.getTask(task.id)).error ?? '', /^ORCHESTRATOR_LOST/);
    assert.equal(isProcessAlive(agent, null), false, 'the orphan agent was killed');
    assert.equal(hasSession(socket, session), false, 'its session is gone');
    await waitFor(() => findProcessesWithEnv('HIVE_DATA_DIR', dataDir).length === 0, 5_000, 'no process of the data directory (agent, pane, tmux server)');
    await waitFor(() => out.includes('API on'), 20_000, 'hive up to be up');
    const stopped = new Promise((r) => second.once('exit', r));
    second.kill('SIGTERM');
    assert.equal(await stopped, 0, out);
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    // a failed run leaves nothing behind: every process of this test's data directory
    for (const pid of findProcessesWithEnv('HIVE_DATA_DIR', dataDir)) process.kill(pid, 'SIGKILL');
    spawnSync('tmux', ['-S', socket, 'kill-server']);
    await reader.close({ drainMs: 0 });
    t.cleanup();
  }
});
