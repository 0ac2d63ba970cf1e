import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/cli/config.js';
import { findProcessesWithEnv, isProcessAlive } from '../../src/runtimes/process.js';
import { fixture, NODE } from '../contract/runtime.suite.js';
import { agentSpec, HIVE_BIN, testHive, waitFor } from '../helpers/hive.js';

/**
 * `tmux: true` through a real orchestrator and `hive attach` (real tmux): the session of a running task, the
 * attach command, a real attach from a pseudo-terminal, and the errors.
 */

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function hive(dataDir: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [HIVE_BIN, '--data', dataDir, ...args], { encoding: 'utf8', env: { ...process.env, HIVE_CONFIG: '', HIVE_SERVER: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function fails(r: Run, code: string): void {
  assert.notEqual(r.code, 0, `expected failure, got: ${r.out}`);
  assert.match(r.err, new RegExp(`^error ${code}: `, 'm'));
}

const tmux = (socket: string, ...args: string[]) => spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });

function pgrp(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

test('hive attach: the running task of a tmux agent, --print, a real read-only attach, and clear errors', async () => {
  const { hive: h, cleanup } = await testHive();
  const dataDir = h.options.dataDir;
  const socket = join(dataDir, 'tmux.sock');
  try {
    await h.registerAgent(agentSpec('watch.me', ['tmux'], { kind: 'command', command: [NODE, fixture('hang.mjs')], tmux: true }));
    await h.registerAgent(agentSpec('plain', ['plain'], { kind: 'command', command: [NODE, fixture('hang.mjs')] }));
    await h.start();
    const task = await h.enqueue({ title: 'watch me', capabilities: ['tmux'] });
    const other = await h.enqueue({ title: 'no tmux', capabilities: ['plain'] });
    const session = `hive-watch_me-${task.id}-1`;
    await waitFor(async () => (await h.attempts(task.id))[0]?.pid != null && tmux(socket, 'has-session', '-t', `=${session}`).status === 0, 10_000, 'the tmux session');
    await waitFor(async () => (await h.attempts(other.id))[0]?.pid != null, 10_000, 'the plain task');

    // the recorded pid leads the agent's group; the agent carries HIVE_DATA_DIR (crash recovery finds it)
    const pid = (await h.attempts(task.id))[0].pid!;
    const ours = new Set(findProcessesWithEnv('HIVE_DATA_DIR', dataDir)); // other tests may run a task with the same id
    const agents = findProcessesWithEnv('HIVE_TASK_ID', String(task.id)).filter((p) => ours.has(p));
    assert.equal(agents.length, 1, 'the agent process, found by HIVE_DATA_DIR as crash recovery finds it');
    assert.equal(pgrp(agents[0]), pid);

    const printed = hive(dataDir, 'attach', String(task.id), '--print');
    assert.equal(printed.code, 0, printed.err);
    assert.equal(printed.out, `tmux -S ${socket} attach-session -r -t =${session}\n`);

    // a real attach, from a pseudo-terminal (util-linux script): a read-only client shows up; detaching ends hive attach with 0
    if (spawnSync('script', ['--version']).status === 0) {
      const term = spawn('script', ['-qfec', `${NODE} ${HIVE_BIN} --data ${dataDir} attach ${task.id}`, '/dev/null'], {
        stdio: ['pipe', 'ignore', 'ignore'],
        env: { ...process.env, HIVE_CONFIG: '', HIVE_SERVER: '', TERM: 'xterm' },
      });
      const exited = new Promise<number | null>((resolve) => term.once('exit', (code) => resolve(code)));
      await waitFor(() => tmux(socket, 'list-clients', '-F', '#{client_readonly} #{session_name}').stdout.trim() === `1 ${session}`, 10_000, 'a read-only client');
      tmux(socket, 'detach-client', '-s', `=${session}`);
      assert.equal(await exited, 0);
    }

    fails(hive(dataDir, 'attach', String(other.id), '--print'), 'NOT_FOUND');
    fails(hive(dataDir, 'attach', '999', '--print'), 'TASK_NOT_FOUND');
    const remote = spawnSync(process.execPath, [HIVE_BIN, '--server', 'http://127.0.0.1:1', '--token', 't', 'attach', String(task.id)], { encoding: 'utf8', env: { ...process.env, HIVE_CONFIG: '' } });
    assert.equal(remote.status, 2);
    assert.match(remote.stderr, /^error VALIDATION_FAILED: .*without --server/m);

    // cancel: the session and the processes go; attach then says the task is not running
    await h.cancel(task.id, 'done watching');
    await waitFor(() => tmux(socket, 'has-session', '-t', `=${session}`).status !== 0, 10_000, 'the session to end');
    await waitFor(() => !isProcessAlive(agents[0], null), 10_000, 'the agent to end');
    fails(hive(dataDir, 'attach', String(task.id), '--print'), 'INVALID_TRANSITION');
    await h.cancel(other.id, 'done');
  } finally {
    await cleanup();
  }
});

test('tmux in hive.yaml: command agents and presets take it; worker and inline agents do not', async () => {
  const { hive: h, dir, cleanup } = await testHive();
  try {
    const file = join(dir, 'hive.yaml');
    writeFileSync(file, 'agents:\n  - { name: a, command: [x], tmux: true }\n  - { name: c, runtime: claude-code, tmux: true }\n  - { name: d, command: [x], tmux: false }\n');
    const { agents } = loadConfig({ config: file }, {}, dir);
    assert.deepEqual(
      agents.map((a) => a.runtime),
      [
        { kind: 'command', command: ['x'], tmux: true },
        { kind: 'claude-code', tmux: true },
        { kind: 'command', command: ['x'], tmux: false },
      ],
    );
    for (const a of agents) await h.registerAgent(a);
    assert.deepEqual((await h.getAgent('c')).runtime, { kind: 'claude-code', tmux: true }, 'stored with the agent');

    writeFileSync(file, 'agents:\n  - { name: w, runtime: worker, command: [x], tmux: true }\n');
    assert.throws(() => loadConfig({ config: file }, {}, dir), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /agents\.0\.tmux: only command agents and the presets run in tmux/.test(e.message));
    writeFileSync(file, 'agents:\n  - { name: w, command: [x], tmux: "yes" }\n');
    assert.throws(() => loadConfig({ config: file }, {}, dir), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /agents\.0\.tmux/.test(e.message));

    // the library API checks the same
    const bad = (runtime: object): Promise<unknown> => h.registerAgent(agentSpec('bad', [], runtime as never));
    await assert.rejects(bad({ kind: 'command', command: ['x'], tmux: 'yes' }), (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED' && /runtime\.tmux: expected true or false/.test(e.message));
    await assert.rejects(bad({ kind: 'worker', command: ['x'], tmux: true }), (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED' && /runtime\.tmux: only command agents/.test(e.message));
    await assert.rejects(bad({ kind: 'codex', tmux: 1 }), (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED' && /runtime\.tmux/.test(e.message));
  } finally {
    await cleanup();
  }
});
