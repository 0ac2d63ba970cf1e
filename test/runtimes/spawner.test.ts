import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/cli/config.js';
import { spawnGroup, type GroupEvents } from '../../src/runtimes/child.js';
import { createCommandRuntime } from '../../src/runtimes/command/index.js';
import { findProcessesWithEnv, isProcessAlive, killProcessGroup, readPidStart } from '../../src/runtimes/process.js';
import { spawner, Spawner } from '../../src/runtimes/spawner/client.js';
import { fixture, NODE, runRuntimeSuite } from '../contract/runtime.suite.js';
import { agentSpec, tempDir, testHive, waitFinal } from '../helpers/hive.js';

// The runtime contract suite with the orchestrator forking the programs itself (command.test.ts runs it with
// the default, the spawner helper).
runRuntimeSuite(
  'command (spawner: direct)',
  (b) => ({
    spec: { kind: 'command', command: [NODE, fixture(`${b}.mjs`), '{prompt}'] },
    factory: (agent, host, settings) => createCommandRuntime(agent, host, { ...settings, spawner: 'direct' }),
  }),
  { pid: 'attempt' },
);

/** Everything a launcher reported, in order. */
interface Run {
  pid: number | null;
  pidStart: number | null | undefined;
  stdout: Buffer;
  stderr: Buffer;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null;
  failed: string | null;
  order: string[];
}

function collect(launch: (events: GroupEvents) => void, onStarted?: (pid: number) => void): Promise<Run> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const run: Run = { pid: null, pidStart: undefined, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exit: null, failed: null, order: [] };
    const end = (): void => {
      run.stdout = Buffer.concat(out);
      run.stderr = Buffer.concat(err);
      resolve(run);
    };
    launch({
      started: (pid, pidStart) => {
        run.order.push('started');
        run.pid = pid;
        run.pidStart = pidStart;
        onStarted?.(pid);
      },
      stdout: (c) => out.push(Buffer.from(c)),
      stderr: (c) => err.push(Buffer.from(c)),
      exit: (code, signal) => {
        run.order.push('exit');
        run.exit = { code, signal };
      },
      closed: () => {
        run.order.push('closed');
        end();
      },
      failed: (message) => {
        run.order.push('failed');
        run.failed = message;
        end();
      },
    });
  });
}

/** The spawner module, for scripts run as separate processes (standing in for an orchestrator). */
const CLIENT = fileURLToPath(new URL('../../src/runtimes/spawner/client.js', import.meta.url));

const OPTS = { cwd: '/tmp', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdin: false };

/** Every byte value, a megabyte without newlines, and stderr between: what a program may print. */
const NOISY = `
const all = Buffer.alloc(256); for (let i = 0; i < 256; i++) all[i] = i;
process.stdout.write(all);
process.stderr.write('to stderr\\n');
process.stdout.write(Buffer.alloc(1 << 20, 0x61));
process.stdout.write('\\n{"done":true}\\n');
`;

describe('spawner helper', () => {
  it('relays output byte for byte and the exit, as a direct spawn does', async () => {
    const s = new Spawner();
    const argv = [NODE, '-e', NOISY];
    const [viaHelper, direct] = await Promise.all([collect((e) => s.launch(argv, OPTS, e)), collect((e) => void spawnGroup(argv, OPTS, e))]);
    assert.equal(viaHelper.stdout.length, 256 + (1 << 20) + 15);
    assert.ok(viaHelper.stdout.equals(direct.stdout), 'stdout differs from a direct spawn');
    assert.equal(viaHelper.stderr.toString(), 'to stderr\n');
    assert.deepEqual(viaHelper.exit, { code: 0, signal: null });
    assert.deepEqual(viaHelper.order, ['started', 'exit', 'closed']);
    assert.notEqual(viaHelper.pid, s.pid, 'the program is not the helper');
  });

  it('reports exit codes, signals and start failures exactly as spawnGroup', async () => {
    const s = new Spawner();
    const cases: string[][] = [['/bin/sh', '-c', 'exit 7'], ['/bin/sh', '-c', 'kill -TERM $$'], ['/nonexistent/program', 'x'], ['/bin/true']];
    for (const argv of cases) {
      const [a, b] = await Promise.all([collect((e) => s.launch(argv, OPTS, e)), collect((e) => void spawnGroup(argv, OPTS, e))]);
      assert.deepEqual(a.exit, b.exit, argv.join(' '));
      assert.equal(a.failed, b.failed, argv.join(' '));
      assert.deepEqual(a.order, b.order, argv.join(' '));
    }
    const noCwd = { ...OPTS, cwd: '/nonexistent/dir' };
    const [a, b] = await Promise.all([collect((e) => s.launch(['/bin/true'], noCwd, e)), collect((e) => void spawnGroup(['/bin/true'], noCwd, e))]);
    assert.ok(a.failed !== null);
    assert.equal(a.failed, b.failed);
  });

  it('starts each program as the leader of its own process group, with its start time and exactly the given environment', async () => {
    const s = new Spawner();
    let stat = '';
    const run = await collect(
      (e) => s.launch([NODE, '-e', 'setTimeout(() => console.log(JSON.stringify(process.env)), 300)'], { ...OPTS, env: { ONLY: 'this', PATH: OPTS.env.PATH } }, e),
      (pid) => (stat = readFileSync(`/proc/${pid}/stat`, 'latin1')),
    );
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(fields[2]), run.pid, 'pgid = pid');
    assert.equal(run.pidStart, Number(fields[19]));
    assert.deepEqual(JSON.parse(run.stdout.toString()), { ONLY: 'this', PATH: OPTS.env.PATH });
  });

  it('when the helper is killed, kills the running programs, ends their launches and starts a new helper', async () => {
    const s = new Spawner();
    const pending = collect((e) => s.launch(['/bin/sh', '-c', 'sleep 30 & sleep 30'], OPTS, e), () => {});
    let pid: number | null = null;
    for (let i = 0; i < 200 && pid === null; i++) {
      await sleep(10);
      pid = s.pid;
    }
    await sleep(200); // the program is started
    const helper = s.pid!;
    process.kill(helper, 'SIGKILL');
    const run = await pending;
    assert.deepEqual(run.exit, { code: null, signal: 'SIGKILL' });
    assert.match(run.stderr.toString(), /spawner process was killed by SIGKILL; the program's process group was killed/);
    await sleep(100);
    assert.equal(isProcessAlive(run.pid!, run.pidStart ?? null), false, 'the program is gone');
    const next = await collect((e) => s.launch(['/bin/sh', '-c', 'echo again'], OPTS, e));
    assert.equal(next.stdout.toString(), 'again\n');
    assert.notEqual(s.pid, helper);
  });

  it('when the helper dies while forking, also kills the programs it had not reported yet', async () => {
    const s = new Spawner();
    const marker = `/tmp/hive-spawner-test-${process.pid}-${Date.now()}`;
    const env = (i: number): Record<string, string> => ({ PATH: OPTS.env.PATH, HIVE_DATA_DIR: marker, HIVE_TASK_ID: String(i), HIVE_ATTEMPT: '1' });
    try {
      const runs = Array.from({ length: 40 }, (_, i) => collect((e) => s.launch(['sleep', '30'], { ...OPTS, env: env(i) }, e)));
      // kill it as soon as the first program exists: it forks the rest in the same turn, reporting none yet
      for (let i = 0; i < 1000 && findProcessesWithEnv('HIVE_DATA_DIR', marker).length === 0; i++) await sleep(1);
      process.kill(s.pid!, 'SIGKILL');
      const ended = await Promise.all(runs);
      assert.ok(ended.some((r) => r.failed !== null), 'some launches were not reported started');
      for (const r of ended) {
        if (r.failed === null) assert.deepEqual(r.exit, { code: null, signal: 'SIGKILL' });
        else assert.match(r.failed, /the spawner process was killed by SIGKILL before the program was reported started/);
      }
      await sleep(200);
      assert.deepEqual(findProcessesWithEnv('HIVE_DATA_DIR', marker), [], 'a program outlived its helper unwatched');
    } finally {
      for (const pid of findProcessesWithEnv('HIVE_DATA_DIR', marker)) killProcessGroup(pid, 'SIGKILL');
    }
  });

  it('stops reading its programs while the orchestrator does not read it, so its memory stays bounded', async () => {
    const s = new Spawner();
    await collect((e) => s.launch(['/bin/true'], OPTS, e)); // the helper runs
    const before = vmRssMb(s.pid!);
    let during = 0;
    let first = true;
    // 64 MiB as fast as it can; this process stops reading for 1.5 s at the first chunk
    const run = await collect((e) =>
      s.launch([NODE, '-e', 'const b = Buffer.alloc(1 << 20, 97); let n = 64; const w = () => { while (n > 0) { n--; if (!process.stdout.write(b)) return process.stdout.once("drain", w); } }; w();'], OPTS, {
        ...e,
        stdout: (c) => {
          if (first) {
            first = false;
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1_500);
            during = vmRssMb(s.pid!);
          }
          e.stdout(c);
        },
      }),
    );
    assert.deepEqual(run.exit, { code: 0, signal: null });
    assert.equal(run.stdout.length, 64 << 20);
    assert.ok(during - before < 24, `the helper grew by ${Math.round(during - before)} MB while not read`);
  });

  it('does not keep its process alive when idle, and exits when that process dies, leaving its programs to crash recovery', async () => {
    // 1) a script that runs one program and then has nothing to do must end by itself
    const script1 = `import { spawner } from ${JSON.stringify(CLIENT)};
      spawner.launch(['/bin/sh', '-c', 'echo hi'], { cwd: '/tmp', env: { PATH: process.env.PATH }, stdin: false },
        { stdout: (c) => process.stdout.write(c), stderr() {}, exit() {}, failed(m) { console.log(m); }, closed() { console.log('closed'); } });`;
    const ended = await runNode(script1, 10_000);
    assert.equal(ended.code, 0);
    assert.equal(ended.out, 'hi\nclosed\n');

    // 2) SIGKILL of the process using the helper: the helper exits, the program keeps running (as after a crash)
    const script2 = `import { spawner } from ${JSON.stringify(CLIENT)};
      spawner.launch(['sleep', '30'], { cwd: '/tmp', env: { PATH: process.env.PATH }, stdin: false },
        { started: (pid) => console.log(JSON.stringify({ program: pid, helper: spawner.pid })), stdout() {}, stderr() {}, exit() {}, failed() {}, closed() {} });`;
    const child = spawn(NODE, ['--input-type=module', '-e', script2], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => child.stdout.once('data', (c: Buffer) => resolve(c.toString())));
    const { program, helper } = JSON.parse(line) as { program: number; helper: number };
    const helperStart = readPidStart(helper);
    const programStart = readPidStart(program);
    child.kill('SIGKILL');
    let helperAlive = true;
    for (let i = 0; i < 100 && helperAlive; i++) {
      await sleep(50);
      helperAlive = isProcessAlive(helper, helperStart);
    }
    const programAlive = isProcessAlive(program, programStart);
    killProcessGroup(program, 'SIGKILL');
    assert.equal(helperAlive, false, 'the helper outlived its orchestrator');
    assert.equal(programAlive, true, 'the program was left to crash recovery');
  });
});

describe('engine.spawner', () => {
  for (const mode of ['helper', 'direct'] as const) {
    it(`${mode}: a command task runs as a child of ${mode === 'helper' ? 'the helper' : 'the orchestrator'}`, async () => {
      const t = await testHive({ spawner: mode });
      try {
        await t.hive.registerAgent(agentSpec('sh', [], { kind: 'command', command: ['/bin/sh', '-c', 'echo "{\\"ppid\\": $PPID}"'] }));
        const { id } = await t.hive.enqueue({ title: 'who forked me' });
        await t.hive.start();
        await waitFinal(t.hive, [id]);
        const task = await t.hive.getTask(id);
        assert.equal(task?.status, 'completed', task?.error ?? '');
        const ppid = (task?.result as { ppid: number }).ppid;
        assert.equal(ppid, mode === 'helper' ? spawner.pid : process.pid);
      } finally {
        await t.cleanup();
      }
    });
  }

  it('a task whose program was running when the helper died fails that attempt, saying why, and its retry completes', async () => {
    const t = await testHive({ taskDefaults: { retry: { backoffMs: 0 } } });
    try {
      const marker = join(t.dir, 'first');
      // the first attempt sleeps (and is running when the helper is killed); the second finishes at once
      const script = `if [ "$HIVE_ATTEMPT" = 1 ]; then touch ${marker}; sleep 30; fi; echo '{"attempt":'$HIVE_ATTEMPT'}'`;
      await t.hive.registerAgent(agentSpec('sh', [], { kind: 'command', command: ['/bin/sh', '-c', script] }));
      const { id } = await t.hive.enqueue({ title: 'survives its spawner', maxAttempts: 2 });
      await t.hive.start();
      for (let i = 0; i < 500; i++) {
        try {
          readFileSync(marker);
          break;
        } catch {
          await sleep(10);
        }
      }
      process.kill(spawner.pid!, 'SIGKILL');
      await waitFinal(t.hive, [id]);
      const task = await t.hive.getTask(id);
      assert.equal(task.status, 'completed', task.error ?? '');
      assert.deepEqual(task.result, { attempt: 2 });
      const [first] = await t.hive.attempts(id);
      assert.equal(first.errorCode, 'TASK_FAILED');
      assert.match(first.error ?? '', /killed by SIGKILL: hive: the spawner process was killed by SIGKILL/);
    } finally {
      await t.cleanup();
    }
  });

  it('is set by hive.yaml engine.spawner and HIVE_SPAWNER; a bad value is CONFIG_INVALID naming the key', () => {
    const t = tempDir();
    try {
      const file = join(t.dir, 'hive.yaml');
      writeFileSync(file, 'engine:\n  spawner: direct\n');
      assert.equal(loadConfig({ config: file }, {}, t.dir).options.spawner, 'direct');
      assert.equal(loadConfig({ config: file }, { HIVE_SPAWNER: 'helper' }, t.dir).options.spawner, 'helper');
      assert.equal(loadConfig({}, {}, t.dir).options.spawner, 'direct');
      writeFileSync(file, 'engine: {}\n');
      assert.equal(loadConfig({}, {}, t.dir).options.spawner, 'helper');
      const invalid = (e: Error & { code?: string; details?: { issues: { path: string }[] } }, path: string): boolean => e.code === 'CONFIG_INVALID' && e.details!.issues[0].path === path;
      assert.throws(() => loadConfig({}, { HIVE_SPAWNER: 'fork' }, t.dir), (e: Error) => invalid(e, 'HIVE_SPAWNER'));
      writeFileSync(file, 'engine:\n  spawner: fork\n');
      assert.throws(() => loadConfig({}, {}, t.dir), (e: Error) => invalid(e, 'engine.spawner'));
    } finally {
      t.cleanup();
    }
  });
  it("a Ctrl-C for the orchestrator's process group does not reach the helper nor the programs it runs", async () => {
    // the orchestrator stand-in ignores SIGINT (hive up drains on it) and reports how its program ended
    const script = `import { spawner } from ${JSON.stringify(CLIENT)};
      process.on('SIGINT', () => console.log('sigint'));
      let out = '';
      spawner.launch(['/bin/sh', '-c', 'sleep 1; echo finished'], { cwd: '/tmp', env: { PATH: process.env.PATH }, stdin: false },
        { started: () => console.log('started'), stdout: (c) => (out += c), stderr: (c) => (out += c), exit: (code, signal) => console.log(JSON.stringify({ code, signal, out })), failed(m) { console.log(m); }, closed() {} });`;
    const child = spawn(NODE, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    for (let i = 0; i < 500 && !out.includes('started'); i++) await sleep(10);
    process.kill(-child.pid!, 'SIGINT'); // what the terminal does on Ctrl-C: the whole foreground group
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    const lines = out.trim().split('\n');
    assert.deepEqual(lines.slice(0, 2), ['started', 'sigint']);
    assert.deepEqual(JSON.parse(lines[2]), { code: 0, signal: null, out: 'finished\n' });
  });
});

function vmRssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

function runNode(script: string, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the script did not end by itself within ${timeoutMs} ms; output: ${out}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}
