import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HIVE_BIN, ROOT, startUp, tempDir, waitFor } from '../helpers/hive.js';

interface Run {
  code: number | null;
  out: string;
  err: string;
}

const STEP_AGENT = join(ROOT, 'test/fixtures/agents/step.mjs');

function cli(dir: string, args: string[], extra: string[] = []): Run {
  const r = spawnSync(process.execPath, [HIVE_BIN, ...extra, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, HIVE_CONFIG: '', HIVE_SERVER: '', HIVE_TOKEN: '' }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const hive = (dir: string, ...args: string[]): Run => cli(dir, args, ['--data', join(dir, 'data')]);

function ok(r: Run): string {
  assert.equal(r.code, 0, `exit ${r.code}: ${r.err}`);
  return r.out;
}

function fails(r: Run, code: string, exit = code === 'VALIDATION_FAILED' ? 2 : 1): string {
  assert.equal(r.code, exit, `expected exit ${exit} with ${code}, got ${r.code}: ${r.out} ${r.err}`);
  assert.match(r.err, new RegExp(`^error ${code}: `, 'm'));
  return r.err;
}

/** hive.yaml: three command agents running the step fixture, an inline workflow and one from a file. */
function writeConfig(dir: string): void {
  const command = JSON.stringify([process.execPath, STEP_AGENT, '{prompt}']);
  writeFileSync(
    join(dir, 'hive.yaml'),
    `agents:
  - { name: planner, capabilities: [plan], command: ${command} }
  - { name: coder, capabilities: [code], slots: 3, command: ${command} }
  - { name: reviewer, capabilities: [review], command: ${command} }
workflows:
  - name: gate
    inputs: { file: { type: string, required: true } }
    steps:
      hold: { caps: [code], prompt: "WAITFILE {{inputs.file}}" }
      after: { caps: [code], needs: [hold], prompt: AFTER }
  - flows/flaky.yaml
`,
  );
  mkdirSync(join(dir, 'flows'));
  writeFileSync(join(dir, 'flows/flaky.yaml'), 'name: flaky\nsteps:\n  boom: { caps: [code], prompt: FAIL, retries: 0 }\n  never: { caps: [code], needs: [boom] }\n');
  writeFileSync(
    join(dir, 'ship.yaml'),
    `name: ship
description: plan, build, document each file, review only when strict
inputs:
  spec: { type: string, required: true }
  strict: { type: boolean, default: false }
steps:
  plan: { caps: [plan], prompt: "PLAN {{inputs.spec}}" }
  build: { caps: [code], needs: [plan], prompt: "BUILD {{steps.plan.result.summary}}" }
  docs: { caps: [code], needs: [plan], for_each: steps.plan.result.files, prompt: "DOC {{item}}" }
  review: { caps: [review], needs: [build, docs], if: "inputs.strict == true" }
  release: { caps: [code], needs: [build, review], prompt: "RELEASE {{steps.review.status}}" }
`,
  );
}

const RUN_KEYS = ['id', 'workflow', 'version', 'status', 'inputs', 'error', 'usage', 'progress', 'createdAt', 'updatedAt', 'finishedAt', 'durationMs', 'steps'];
const STEP_KEYS = ['name', 'status', 'task_ids', 'agent', 'agents', 'output', 'result', 'reason', 'needs', 'items', 'usage', 'startedAt', 'finishedAt'];

test('workflows through the CLI against a real hive up: add, run --wait, status (JSON and DAG), pause/resume/cancel/retry, runs, the same over --server', { timeout: 120_000 }, async () => {
  const t = tempDir();
  writeConfig(t.dir);
  const data = join(t.dir, 'data');
  const up = await startUp(t.dir, ['--data', data]);
  let stopped = false;
  try {
    // hive.yaml's workflows were defined by hive up
    assert.match(up.output(), /^hive up: workflow gate version 1 created$/m);
    assert.match(up.output(), /^hive up: workflow flaky version 1 created$/m);

    assert.equal(ok(hive(t.dir, 'workflow', 'add', 'ship.yaml')), 'workflow ship version 1 created\n');
    assert.equal(ok(hive(t.dir, 'workflow', 'add', 'ship.yaml')), 'workflow ship version 1 unchanged\n');
    fails(hive(t.dir, 'workflow', 'add', 'nothere.yaml'), 'VALIDATION_FAILED');
    writeFileSync(join(t.dir, 'loop.yaml'), 'name: loop\nsteps:\n  a: { needs: [b] }\n  b: { needs: [a] }\n');
    assert.match(fails(hive(t.dir, 'workflow', 'add', 'loop.yaml'), 'WORKFLOW_CYCLE'), /cycle: (a -> b -> a|b -> a -> b)/);
    writeFileSync(join(t.dir, 'broken.yaml'), 'name: [unclosed\n');
    fails(hive(t.dir, 'workflow', 'add', 'broken.yaml'), 'VALIDATION_FAILED');
    assert.deepEqual(JSON.parse(ok(hive(t.dir, 'workflow', 'list', '--json'))).map((w: { name: string }) => w.name), ['flaky', 'gate', 'ship']);
    assert.match(ok(hive(t.dir, 'workflow', 'list')), /^ship +1 +1 +5 +spec,strict +plan, build/m);
    const shown = ok(hive(t.dir, 'workflow', 'show', 'ship'));
    assert.match(shown, /^workflow ship version 1$/m);
    assert.match(shown, /^docs +plan +code +- +- +steps\.plan\.result\.files$/m);
    assert.equal(JSON.parse(ok(hive(t.dir, 'workflow', 'show', 'ship', '--version', '1', '--json'))).steps.review.if, 'inputs.strict == true');
    fails(hive(t.dir, 'workflow', 'show', 'ship', '--version', '2'), 'WORKFLOW_NOT_FOUND');

    // a required input missing: refused, no run made
    assert.match(fails(hive(t.dir, 'workflow', 'run', 'ship'), 'VALIDATION_FAILED'), /inputs\.spec: required/);
    fails(hive(t.dir, 'workflow', 'run', 'ship', '--input', 'nonsense'), 'VALIDATION_FAILED');
    fails(hive(t.dir, 'workflow', 'run', 'ship', '--input-json', 'strict={'), 'VALIDATION_FAILED');
    assert.deepEqual(JSON.parse(ok(hive(t.dir, 'workflow', 'runs', '--json'))), []);

    // run and follow to the end
    const waited = hive(t.dir, 'workflow', 'run', 'ship', '--input', 'spec=login page', '--wait');
    assert.equal(waited.code, 0, waited.err);
    assert.match(waited.out, /^run 1 of ship@1 started$/m);
    assert.match(waited.out, / step plan completed on planner in /);
    assert.match(waited.out, / step review skipped: if: inputs\.strict == true was false/);
    assert.match(waited.out, /^run 1 completed in /m);
    const ship = 1;

    const status = JSON.parse(ok(hive(t.dir, 'workflow', 'status', String(ship), '--json')));
    assert.deepEqual(Object.keys(status), RUN_KEYS);
    for (const s of status.steps) assert.deepEqual(Object.keys(s), STEP_KEYS);
    assert.equal(status.status, 'completed');
    assert.equal(status.workflow, 'ship');
    assert.equal(status.version, 1);
    assert.deepEqual(status.inputs, { spec: 'login page', strict: false });
    const step = (name: string) => status.steps.find((s: { name: string }) => s.name === name);
    assert.deepEqual(status.steps.map((s: { name: string; status: string }) => `${s.name}:${s.status}`), ['plan:completed', 'build:completed', 'docs:completed', 'review:skipped', 'release:completed']);
    assert.equal(step('plan').agent, 'planner');
    assert.deepEqual(step('plan').result, { summary: 'S:login page', files: ['a.md', 'b.md', 'c.md'] });
    assert.equal(step('plan').task_ids.length, 1);
    assert.equal(step('docs').task_ids.length, 3);
    assert.equal(step('docs').agent, 'coder');
    assert.equal(step('review').agent, null);
    assert.deepEqual(step('release').result, { did: 'RELEASE skipped' });
    const buildTask = JSON.parse(ok(hive(t.dir, 'task', 'show', String(step('build').task_ids[0]), '--json')));
    assert.equal(buildTask.prompt, 'BUILD S:login page', 'a step output fed the next prompt');
    assert.equal(buildTask.run, ship);
    assert.equal(buildTask.step, 'build');

    const dag = ok(hive(t.dir, 'workflow', 'status', String(ship)));
    const lines = dag.trimEnd().split('\n');
    assert.match(lines[0], /^run 1  ship@1  completed  \d/);
    for (const name of ['plan', 'build', 'docs', 'review', 'release']) assert.ok(lines.some((l) => new RegExp(`[✓↷] ${name} `).test(l)), `${name} drawn:\n${dag}`);
    assert.match(dag, /^✓ plan +completed +agent planner +\d/m, 'depth 0, no needs');
    assert.match(dag, /^ {2}✓ docs +completed +← plan +agent coder +\S+ +items 3\/3$/m, 'depth 1, a fan-out with its items');
    assert.match(dag, /^ {4}↷ review +skipped +← build, docs +\(if: inputs\.strict == true was false\)$/m, 'depth 2, skipped');
    assert.match(dag, /^ {6}✓ release +completed +← build, review +agent coder/m, 'depth 3: the longest path');
    fails(hive(t.dir, 'workflow', 'status', '999'), 'WORKFLOW_RUN_NOT_FOUND');
    fails(hive(t.dir, 'workflow', 'status', 'abc'), 'VALIDATION_FAILED');

    // --input-json: the review branch runs
    const strict = hive(t.dir, 'workflow', 'run', 'ship', '--input', 'spec=x', '--input-json', 'strict=true', '--wait', '--json');
    assert.equal(strict.code, 0, strict.err);
    const strictRun = JSON.parse(strict.out);
    assert.equal(strictRun.status, 'completed');
    assert.equal(strictRun.steps.find((s: { name: string }) => s.name === 'review').agent, 'reviewer');
    assert.match(strict.err, / step review completed on reviewer/, 'with --json, progress goes to stderr');

    // a failing run: --wait exits 1 with the run's error
    const flaky = hive(t.dir, 'workflow', 'run', 'flaky', '--wait');
    assert.equal(flaky.code, 1);
    assert.match(flaky.out, / step boom failed: /);
    assert.match(flaky.out, / step never cancelled: /);
    assert.match(flaky.err, /^error TASK_FAILED: workflow run 3 failed: step boom failed: /m);

    // pause, resume, cancel, retry
    const release = join(t.dir, 'release');
    const gate = ok(hive(t.dir, 'workflow', 'run', 'gate', '--input', `file=${release}`)).trim();
    assert.equal(gate, '4');
    const gateRun = () => JSON.parse(ok(hive(t.dir, 'workflow', 'status', gate, '--json')));
    await waitFor(async () => {
      const r = gateRun();
      return r.steps[0].status === 'running' && JSON.parse(ok(hive(t.dir, 'task', 'show', String(r.steps[0].task_ids[0]), '--json'))).status === 'running';
    }, 20_000, 'the hold step to run');
    assert.equal(ok(hive(t.dir, 'workflow', 'pause', gate)), 'run 4 paused\n');
    fails(hive(t.dir, 'workflow', 'pause', gate), 'INVALID_TRANSITION');
    assert.match(ok(hive(t.dir, 'workflow', 'status', gate)), /^run 4  gate@1  paused/);
    assert.equal(ok(hive(t.dir, 'workflow', 'resume', gate)), 'run 4 running\n');
    fails(hive(t.dir, 'workflow', 'retry', gate), 'INVALID_TRANSITION');
    assert.equal(ok(hive(t.dir, 'workflow', 'cancel', gate, '--reason', 'not today')), 'run 4 cancelled\n');
    const cancelled = gateRun();
    assert.deepEqual(cancelled.steps.map((s: { status: string }) => s.status), ['cancelled', 'cancelled']);
    assert.match(cancelled.error, /not today/);
    fails(hive(t.dir, 'workflow', 'cancel', gate), 'INVALID_TRANSITION');
    writeFileSync(release, '');
    assert.equal(ok(hive(t.dir, 'workflow', 'retry', gate)), 'run 4 running\n');
    await waitFor(() => gateRun().status === 'completed', 20_000, 'the retried run to complete');
    fails(hive(t.dir, 'workflow', 'pause', '999'), 'WORKFLOW_RUN_NOT_FOUND');

    // runs: newest first, filters, limit
    assert.deepEqual(JSON.parse(ok(hive(t.dir, 'workflow', 'runs', '--json'))).map((r: { id: number; status: string }) => `${r.id}:${r.status}`), ['4:completed', '3:failed', '2:completed', '1:completed']);
    assert.deepEqual(JSON.parse(ok(hive(t.dir, 'workflow', 'runs', '--status', 'failed,cancelled', '--json'))).map((r: { id: number }) => r.id), [3]);
    assert.deepEqual(JSON.parse(ok(hive(t.dir, 'workflow', 'runs', '--workflow', 'ship', '--limit', '1', '--json'))).map((r: { id: number }) => r.id), [2]);
    assert.deepEqual(JSON.parse(ok(hive(t.dir, 'workflow', 'runs', '--before-id', '3', '--json'))).map((r: { id: number }) => r.id), [2, 1]);
    const table = ok(hive(t.dir, 'workflow', 'runs'));
    assert.match(table, /^ID +WORKFLOW +STATUS +STEPS +CREATED +DURATION +ERROR$/m);
    assert.match(table, /^3 +flaky@1 +failed +0\/2 /m);
    fails(hive(t.dir, 'workflow', 'runs', '--status', 'sleepy'), 'VALIDATION_FAILED');

    // the same through --server: same output, same errors
    const token = readFileSync(join(data, 'admin.token'), 'utf8').trim();
    const remote = (...args: string[]): Run => cli(t.dir, args, ['--server', up.base, '--token', token]);
    for (const args of [
      ['workflow', 'list'], ['workflow', 'list', '--json'], ['workflow', 'show', 'ship'], ['workflow', 'show', 'ship', '--json'], ['workflow', 'runs'], ['workflow', 'runs', '--json'],
      ['workflow', 'runs', '--status', 'completed', '--limit', '2', '--json'], ['workflow', 'status', '1'], ['workflow', 'status', '1', '--json'], ['workflow', 'status', '3'],
      ['workflow', 'status', '999'], ['workflow', 'pause', '1'], ['workflow', 'run', 'ship'], ['workflow', 'run', 'nope'], ['workflow', 'add', 'loop.yaml'], ['workflow', 'add', 'ship.yaml'],
    ]) {
      const l = hive(t.dir, ...args);
      const r = remote(...args);
      assert.equal(r.code, l.code, `exit code of ${args.join(' ')}: local ${l.code} ${l.err}, remote ${r.code} ${r.err}`);
      assert.equal(r.out, l.out, `stdout of ${args.join(' ')}`);
      assert.equal(r.err, l.err, `stderr of ${args.join(' ')}`);
    }
    const remoteRun = remote('workflow', 'run', 'ship', '--input', 'spec=remote', '--wait');
    assert.equal(remoteRun.code, 0, remoteRun.err);
    assert.match(remoteRun.out, /^run 5 completed in /m);

    assert.equal(await up.stop(), 0, up.output());
    stopped = true;
    // no hive up any more: --wait refuses at once and makes no run
    assert.match(fails(hive(t.dir, 'workflow', 'run', 'ship', '--input', 'spec=x', '--wait'), 'VALIDATION_FAILED'), /--wait needs a running hive up/);
    assert.equal(JSON.parse(ok(hive(t.dir, 'workflow', 'runs', '--json'))).length, 5);
  } finally {
    if (!stopped) await up.stop();
    t.cleanup();
  }
});

test('hive up defines the workflows of hive.yaml (unchanged on restart) and refuses an invalid one, changing nothing', { timeout: 60_000 }, async () => {
  const t = tempDir();
  try {
    const data = join(t.dir, 'data');
    const up = (): Run => cli(t.dir, ['up', '--data', data, '--port', '0']);
    const config = (body: string): void => writeFileSync(join(t.dir, 'hive.yaml'), body);

    config('workflows:\n  - name: loop\n    steps:\n      a: { needs: [b] }\n      b: { needs: [a] }\n');
    assert.match(fails(up(), 'WORKFLOW_CYCLE'), /^error WORKFLOW_CYCLE: workflows\.0: steps depend on each other in a cycle: (a -> b -> a|b -> a -> b)$/m);
    assert.equal(existsSync(data), false, 'no data directory was created');
    writeFileSync(join(t.dir, 'bad.json'), JSON.stringify({ name: 'bad', steps: { a: { caps: ['x'], colour: 'blue' } } }));
    config('workflows:\n  - { name: fine, steps: { a: {} } }\n  - bad.json\n');
    assert.match(fails(up(), 'VALIDATION_FAILED'), /^error VALIDATION_FAILED: workflows\.1 \(.*bad\.json\): invalid workflow definition: steps\.a\.colour: unknown key/m);
    config('workflows:\n  - { name: w, steps: { a: { prompt: "{{inputs.who}}" } } }\n');
    fails(up(), 'UNKNOWN_INPUT');
    config('workflows:\n  - missing.yaml\n');
    assert.match(fails(up(), 'CONFIG_INVALID'), /workflows\.0: cannot read .*missing\.yaml: no such file/);
    config('workflows: everything\n');
    assert.match(fails(up(), 'CONFIG_INVALID'), /hive\.yaml: workflows: /);
    config('workflows:\n  - 42\n');
    assert.match(fails(up(), 'CONFIG_INVALID'), /workflows\.0: expected a workflow definition/);
    config('workflows:\n  - { name: twice, steps: { a: {} } }\n  - { name: twice, steps: { b: {} } }\n');
    assert.match(fails(up(), 'CONFIG_INVALID'), /workflows\.1: workflow twice is defined twice/);
    assert.equal(existsSync(data), false, 'still nothing created');

    // a valid one: defined at the first start, unchanged at the next; other commands still work meanwhile
    writeFileSync(join(t.dir, 'hello.yaml'), 'name: hello\ninputs: { who: string }\nsteps:\n  greet: { prompt: "hi {{inputs.who}}" }\n');
    config('workflows:\n  - hello.yaml\n  - { name: other, steps: { a: {} } }\n');
    for (const expected of ['created', 'unchanged']) {
      const running = await startUp(t.dir, ['--data', data]);
      try {
        assert.match(running.output(), new RegExp(`^hive up: workflow hello version 1 ${expected}$`, 'm'));
        assert.match(running.output(), new RegExp(`^hive up: workflow other version 1 ${expected}$`, 'm'));
      } finally {
        assert.equal(await running.stop(), 0);
      }
    }
    assert.deepEqual(JSON.parse(ok(hive(t.dir, 'workflow', 'list', '--json'))).map((w: { name: string; versions: number }) => `${w.name}@${w.versions}`), ['hello@1', 'other@1']);
    // a changed definition becomes version 2
    writeFileSync(join(t.dir, 'hello.yaml'), 'name: hello\ninputs: { who: string }\nsteps:\n  greet: { prompt: "hello {{inputs.who}}" }\n');
    const again = await startUp(t.dir, ['--data', data]);
    try {
      assert.match(again.output(), /^hive up: workflow hello version 2 created$/m);
    } finally {
      assert.equal(await again.stop(), 0);
    }
  } finally {
    t.cleanup();
  }
});

test("the issue's example workflow through the CLI: both branches of if, a fan-out of 5 with its fan-in, a failure that cancels dependents, retry from the failure", { timeout: 90_000 }, async () => {
  const t = tempDir();
  const command = JSON.stringify([process.execPath, STEP_AGENT, '{prompt}']);
  writeFileSync(join(t.dir, 'hive.yaml'), `agents:\n  - { name: w1, capabilities: [planning, backend, frontend, qa, review, docs], slots: 4, command: ${command} }\n`);
  writeFileSync(
    join(t.dir, 'feature.yaml'),
    `name: feature
inputs: { spec: { type: string, required: true }, outcome: { type: string, default: pass } }
steps:
  plan:      { caps: [planning], prompt: "PLAN {{inputs.spec}} files=5" }
  backend:   { caps: [backend],  needs: [plan], prompt: "Implement API per {{steps.plan.result.summary}}" }
  frontend:  { caps: [frontend], needs: [plan], prompt: "..." }
  tests:     { caps: [qa], needs: [backend, frontend], locks: [repo:test-db], prompt: "TESTS {{inputs.outcome}}", retries: 0 }
  review:    { caps: [review], needs: [tests], if: "steps.tests.result.passed == true" }
  fix:       { caps: [backend], needs: [tests], if: "steps.tests.result.passed != true" }
  each_file: { caps: [docs], needs: [plan], for_each: "steps.plan.result.files", prompt: "Document {{item}}" }
  publish:   { caps: [docs], needs: [each_file, review, fix], prompt: "PUBLISH {{len(steps.each_file.result)}} docs" }
`,
  );
  const data = join(t.dir, 'data');
  const up = await startUp(t.dir, ['--data', data]);
  try {
    ok(hive(t.dir, 'workflow', 'add', 'feature.yaml'));
    const status = (id: string) => JSON.parse(ok(hive(t.dir, 'workflow', 'status', id, '--json')));
    const byName = (run: { steps: { name: string; status: string; task_ids: number[] }[] }) => Object.fromEntries(run.steps.map((s) => [s.name, s]));

    // tests pass: review runs, fix is skipped; 5 items fan out and publish fans in
    ok(hive(t.dir, 'workflow', 'run', 'feature', '--input', 'spec=login', '--wait'));
    let s = byName(status('1'));
    assert.equal(s.review.status, 'completed');
    assert.equal(s.fix.status, 'skipped');
    assert.equal(s.each_file.task_ids.length, 5);
    const publish = JSON.parse(ok(hive(t.dir, 'task', 'show', String(s.publish.task_ids[0]), '--json')));
    assert.deepEqual(publish.result, { did: 'PUBLISH 5 docs' });
    const items = s.each_file.task_ids.map((id: number) => JSON.parse(ok(hive(t.dir, 'task', 'show', String(id), '--json'))));
    assert.ok(Date.parse(publish.startedAt) >= Math.max(...items.map((i: { finishedAt: string }) => Date.parse(i.finishedAt))), 'fan-in: publish started after every item ended');

    // tests report failure: fix runs, review is skipped
    ok(hive(t.dir, 'workflow', 'run', 'feature', '--input', 'spec=x', '--input', 'outcome=fail', '--wait'));
    s = byName(status('2'));
    assert.equal(s.review.status, 'skipped');
    assert.equal(s.fix.status, 'completed');
    assert.equal(s.publish.status, 'completed');

    // the tests step itself dies: its dependents are cancelled and the run fails; retry re-runs only what failed
    // (version 2 of the workflow: the tests step waits for a file, with a 300 ms timeout and no retry)
    writeFileSync(join(t.dir, 'feature2.yaml'), readFileSync(join(t.dir, 'feature.yaml'), 'utf8').replace('prompt: "TESTS {{inputs.outcome}}"', 'prompt: "WAITFILE {{inputs.spec}}", timeout: 300ms'));
    ok(hive(t.dir, 'workflow', 'add', 'feature2.yaml'));
    const gate = join(t.dir, 'gate-file');
    const dead = hive(t.dir, 'workflow', 'run', 'feature', '--input', `spec=${gate}`, '--wait');
    assert.equal(dead.code, 1, dead.out + dead.err);
    assert.match(dead.err, /^error TASK_FAILED: workflow run 3 failed: step tests failed: task \d+ dead: TIMEOUT/m);
    const run = status('3');
    assert.equal(run.status, 'failed');
    s = byName(run);
    assert.equal(s.tests.status, 'failed');
    for (const n of ['review', 'fix', 'publish']) assert.equal(s[n].status, 'cancelled', n);
    assert.equal(s.each_file.status, 'completed');
    writeFileSync(gate, '');
    assert.equal(ok(hive(t.dir, 'workflow', 'retry', '3')), 'run 3 running\n');
    await waitFor(() => status('3').status !== 'running', 30_000, 'run 3 to end');
    const retried = status('3');
    assert.equal(retried.status, 'completed', JSON.stringify(retried.steps));
    assert.deepEqual(byName(retried).each_file.task_ids, s.each_file.task_ids, 'the fan-out was not re-run');
    assert.equal(byName(retried).plan.task_ids[0], s.plan.task_ids[0]);
    const planTask = JSON.parse(ok(hive(t.dir, 'task', 'show', String(s.plan.task_ids[0]), '--json')));
    assert.equal(planTask.attempts, 1, 'plan ran once');
  } finally {
    await up.stop();
    t.cleanup();
  }
});
