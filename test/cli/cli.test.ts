import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHive } from '../../src/index.js';
import { HIVE_BIN, agentSpec, tempDir, waitFinal } from '../helpers/hive.js';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function hive(dir: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [HIVE_BIN, '--data', join(dir, 'data'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, HIVE_CONFIG: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ok(r: Run): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.err}`);
  return r.out;
}

function fails(r: Run, code: string): void {
  assert.notEqual(r.code, 0, `expected failure, got: ${r.out}`);
  assert.match(r.err, new RegExp(`^error ${code}: `, 'm'));
}

test('task add/list/show/cancel/retry through the CLI, with clear errors for bad input', () => {
  const t = tempDir();
  try {
    const id1 = ok(hive(t.dir, 'task', 'add', '--title', 'first', '--prompt', 'do it', '--priority', 'high', '--cap', 'x', '--cap', 'y', '--lock', 'db', '--max-attempts', '2', '--timeout', '30s', '--key', 'k1')).trim();
    assert.match(id1, /^\d+$/);
    assert.equal(ok(hive(t.dir, 'task', 'add', '--title', 'dup', '--key', 'k1')).trim(), id1, 'same key, same task');
    const id2 = ok(hive(t.dir, 'task', 'add', '--title', 'second', '--after', id1)).trim();

    const list = JSON.parse(ok(hive(t.dir, 'task', 'list', '--json')));
    assert.equal(list.length, 2);
    for (const k of ['id', 'title', 'status', 'priority', 'attempts', 'agent', 'error']) assert.ok(k in list[0], `missing ${k}`);
    assert.equal(list[0].status, 'queued');
    assert.equal(list[0].reason, 'no agent with capabilities [x, y]');
    assert.deepEqual(list[0].locks, ['db']);
    assert.equal(list[1].status, 'pending');

    const shown = JSON.parse(ok(hive(t.dir, 'task', 'show', id2, '--json')));
    assert.deepEqual(shown.dependsOn, [Number(id1)]);
    assert.match(ok(hive(t.dir, 'task', 'show', id1)), /status +queued \(no agent with capabilities \[x, y\]\)/);

    fails(hive(t.dir, 'task', 'show', '999'), 'TASK_NOT_FOUND');
    fails(hive(t.dir, 'task', 'show', 'abc'), 'VALIDATION_FAILED');
    fails(hive(t.dir, 'task', 'add', '--title', 'x', '--priority', 'urgent'), 'VALIDATION_FAILED');
    assert.match(hive(t.dir, 'task', 'add', '--title', 'x', '--priority', 'urgent').err, /priority/);
    fails(hive(t.dir, 'task', 'add', '--title', 'x', '--timeout', 'soon'), 'VALIDATION_FAILED');
    fails(hive(t.dir, 'task', 'add', '--title', 'x', '--max-attempts', '0'), 'VALIDATION_FAILED');
    fails(hive(t.dir, 'task', 'add', '--title', 'x', '--after', '424242'), 'DEPENDENCY_NOT_FOUND');
    fails(hive(t.dir, 'task', 'add', '--prompt', 'no title'), 'VALIDATION_FAILED');
    fails(hive(t.dir, 'task', 'frobnicate'), 'VALIDATION_FAILED');
    assert.equal(JSON.parse(ok(hive(t.dir, 'task', 'list', '--json'))).length, 2, 'bad input changed nothing');

    assert.match(ok(hive(t.dir, 'task', 'cancel', id1)), /cancelled/);
    assert.equal(JSON.parse(ok(hive(t.dir, 'task', 'show', id2, '--json'))).status, 'cancelled', 'dependent cancelled too');
    fails(hive(t.dir, 'task', 'cancel', id1), 'INVALID_TRANSITION');
    fails(hive(t.dir, 'task', 'retry', id2), 'INVALID_TRANSITION');
    assert.match(ok(hive(t.dir, 'task', 'retry', id1)), /queued/);

    fails(hive(t.dir, 'task', 'logs', id1, '--json'), 'VALIDATION_FAILED');
    const status = JSON.parse(ok(hive(t.dir, 'status', '--json')));
    assert.equal(status.tasks.queued, 1);
    assert.equal(status.tasks.cancelled, 1);
    assert.equal(status.queueDepth['x,y'], 1);
    const events = JSON.parse(ok(hive(t.dir, 'events', '--json', '--task', id1)));
    assert.deepEqual(events.map((e: { type: string }) => e.type), ['task.enqueued', 'task.cancelled', 'task.requeued']);
  } finally {
    t.cleanup();
  }
});

test('agent add/list/show/pause/resume/rm and dlq list/requeue through the CLI', () => {
  const t = tempDir();
  try {
    assert.match(ok(hive(t.dir, 'agent', 'add', 'coder', '--cap', 'js', '--command', 'echo {prompt}', '--slots', '2')), /agent coder registered/);
    const agents = JSON.parse(ok(hive(t.dir, 'agent', 'list', '--json')));
    assert.equal(agents.length, 1);
    assert.deepEqual(agents[0].capabilities, ['js']);
    assert.equal(agents[0].slots, 2);
    assert.match(ok(hive(t.dir, 'agent', 'show', 'coder')), /capabilities +js/);
    assert.match(ok(hive(t.dir, 'agent', 'pause', 'coder')), /maintenance/);
    assert.match(ok(hive(t.dir, 'agent', 'resume', 'coder')), /inactive/);
    fails(hive(t.dir, 'agent', 'show', 'nobody'), 'AGENT_NOT_FOUND');
    fails(hive(t.dir, 'agent', 'add', 'bad name!', '--command', 'x'), 'VALIDATION_FAILED');
    fails(hive(t.dir, 'agent', 'add', 'nocmd'), 'VALIDATION_FAILED');
    fails(hive(t.dir, 'agent', 'add', 'x', '--command', 'y', '--slots', 'many'), 'VALIDATION_FAILED');
    assert.match(ok(hive(t.dir, 'agent', 'rm', 'coder')), /removed/);
    fails(hive(t.dir, 'agent', 'rm', 'coder'), 'AGENT_NOT_FOUND');

    assert.match(ok(hive(t.dir, 'dlq', 'list')), /empty/);
    fails(hive(t.dir, 'dlq', 'requeue'), 'VALIDATION_FAILED');
    const id = ok(hive(t.dir, 'task', 'add', '--title', 'x')).trim();
    fails(hive(t.dir, 'dlq', 'requeue', id), 'INVALID_TRANSITION');
    assert.deepEqual(JSON.parse(ok(hive(t.dir, 'dlq', 'requeue', '--all', '--json'))), { requeued: [] });
  } finally {
    t.cleanup();
  }
});

test('hive up refuses an invalid hive.yaml, naming the key path, and changes nothing', () => {
  const t = tempDir();
  try {
    writeFileSync(join(t.dir, 'hive.yaml'), 'agents:\n  - name: a\n    command: echo\n    slots: lots\n');
    const r = spawnSync(process.execPath, [HIVE_BIN, 'up', '--data', join(t.dir, 'data')], { cwd: t.dir, encoding: 'utf8', timeout: 10_000 });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^error CONFIG_INVALID: .*hive\.yaml: agents\.0\.slots: /m);
    assert.equal(existsSync(join(t.dir, 'data')), false, 'no data dir was created');
    writeFileSync(join(t.dir, 'hive.yaml'), 'agents:\n  - name: a\n    command: echo\n    colour: blue\n');
    const r2 = spawnSync(process.execPath, [HIVE_BIN, 'up', '--data', join(t.dir, 'data')], { cwd: t.dir, encoding: 'utf8', timeout: 10_000 });
    assert.match(r2.stderr, /^error CONFIG_INVALID: .*agents\.0: .*colour/m);
    writeFileSync(join(t.dir, 'hive.yaml'), 'agents:\n  - name: a\n    command: echo\n');
    const r3 = spawnSync(process.execPath, [HIVE_BIN, 'up', '--data', join(t.dir, 'data'), '--durability', 'sometimes'], { cwd: t.dir, encoding: 'utf8', timeout: 10_000, env: { ...process.env } });
    assert.match(r3.stderr, /^error CONFIG_INVALID: --durability/m);
    assert.equal(existsSync(join(t.dir, 'data')), false);
  } finally {
    t.cleanup();
  }
});

test('hive demo --json: at least 10 tasks on at least 3 agents all complete, the flaky one on its second attempt', { timeout: 90_000 }, () => {
  const r = spawnSync(process.execPath, [HIVE_BIN, 'demo', '--json'], { encoding: 'utf8', timeout: 80_000 });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  const summary = JSON.parse(r.stdout);
  assert.ok(summary.tasks.length >= 10);
  assert.ok(summary.agents.length >= 3);
  assert.deepEqual(summary.tasks.filter((x: { status: string }) => x.status !== 'completed'), []);
  const flaky = summary.tasks.find((x: { title: string }) => x.title === 'Implement div');
  assert.equal(flaky.attempts, 2);
  for (const k of ['id', 'title', 'status', 'agent', 'attempts']) assert.ok(k in summary.tasks[0]);
  for (const k of ['name', 'done', 'failed']) assert.ok(k in summary.agents[0]);
  // the agents also completed the tasks of the demo's workflow run
  const workflowTasks = summary.workflow.steps.reduce((n: number, s: { tasks: number }) => n + s.tasks, 0);
  assert.equal(summary.workflow.status, 'completed');
  assert.equal(summary.agents.reduce((n: number, a: { done: number }) => n + a.done, 0), summary.tasks.length + workflowTasks);
  assert.ok(summary.repository.commits >= 4, 'the agents committed their work');
  assert.match(r.stderr, /started on/, 'live progress on stderr');
});

test('task logs prints the log of an attempt that ran (plain and --json)', async () => {
  const t = tempDir();
  try {
    const h = await createHive({ dataDir: join(t.dir, 'data'), pollMs: 10 });
    try {
      await h.registerAgent(agentSpec('echo', [], { kind: 'command', command: 'echo hello {prompt}; echo oops >&2' }, 1, { workdir: join(t.dir, 'w') }));
      await h.start();
      const task = await h.enqueue({ title: 'say', prompt: "it's me" });
      await waitFinal(h, [task.id]);
    } finally {
      await h.close({ drainMs: 0 });
    }
    const id = '1';
    assert.equal(ok(hive(t.dir, 'task', 'logs', id)), "hello it's me\noops\n");
    const j = JSON.parse(ok(hive(t.dir, 'task', 'logs', id, '--json')));
    assert.equal(j.attempt, 1);
    assert.equal(j.log, "hello it's me\noops\n");
    fails(hive(t.dir, 'task', 'logs', id, '--attempt', '2'), 'VALIDATION_FAILED');
    assert.equal(JSON.parse(ok(hive(t.dir, 'task', 'show', id, '--json'))).output, "hello it's me");
  } finally {
    t.cleanup();
  }
});

test('hive events -f follows the log as JSON lines until interrupted; hive logs is task logs', { timeout: 30_000 }, async () => {
  const t = tempDir();
  try {
    ok(hive(t.dir, 'task', 'add', '--title', 'before'));
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [HIVE_BIN, '--data', join(t.dir, 'data'), 'events', '-f', '--json'], { cwd: t.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    await new Promise((r) => setTimeout(r, 700));
    ok(hive(t.dir, 'task', 'add', '--title', 'after 1'));
    ok(hive(t.dir, 'task', 'add', '--title', 'after 2'));
    const deadline = Date.now() + 10_000;
    while (out.trim().split('\n').filter(Boolean).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    const titles = out.trim().split('\n').map((l) => JSON.parse(l).data.title);
    assert.deepEqual(titles, ['after 1', 'after 2'], 'starts at the end, then follows');
    fails(hive(t.dir, 'logs', '1'), 'VALIDATION_FAILED'); // no attempt yet, like `task logs`
  } finally {
    t.cleanup();
  }
});
