import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Orchestrator } from '../../src/engine/orchestrator.js';
import type { InlineFn } from '../../src/runtimes/inline/index.js';
import type { Task } from '../../src/core/types.js';
import type { WorkflowRun } from '../../src/core/workflow.js';
import { agentSpec, allEvents, sleep, testHive, waitFor } from '../helpers/hive.js';
import { FEATURE } from '../fixtures/feature-workflow.js';


/** One inline agent per capability; each answers by step name. */
function fleet(behaviour: Partial<Record<string, InlineFn>> = {}): Record<string, InlineFn> {
  const base: InlineFn = (t: Task) => {
    switch (t.step) {
      case 'plan':
        return { summary: 'S1', files: ['a.ts', 'b.ts', 'c.ts', 'd.ts', 'e.ts'] };
      case 'tests':
        return { passed: t.prompt === 'pass=true' };
      case 'review':
        return { verdict: 'lgtm' };
      default:
        return { did: t.prompt };
    }
  };
  return { work: (t, ctx) => (behaviour[t.step ?? ''] ?? base)(t, ctx) };
}

async function withFleet(behaviour: Partial<Record<string, InlineFn>> = {}, slots = 4) {
  const h = await testHive({ inline: fleet(behaviour) });
  for (const cap of ['planning', 'backend', 'frontend', 'qa', 'review', 'docs']) await h.hive.registerAgent(agentSpec(`${cap}-agent`, [cap], { kind: 'inline', fn: 'work' }, slots));
  await h.hive.workflows.define(FEATURE);
  return h;
}

async function waitRun(hive: Orchestrator, id: number, statuses: string[], ms = 10_000): Promise<WorkflowRun> {
  let run = await hive.workflows.getRun(id);
  await waitFor(async () => statuses.includes((run = await hive.workflows.getRun(id)).status), ms, `run ${id} to be ${statuses.join('/')} (is ${run.status})`);
  return run;
}

const stepOf = (run: WorkflowRun, name: string) => run.steps!.find((s) => s.name === name)!;

test('the example workflow runs end to end: outputs flow, if skips a branch, for_each fans out 5 and fans in', async () => {
  const { hive, cleanup } = await withFleet();
  try {
    await hive.start();
    const created = await hive.workflows.execute('feature', { spec: 'login page' });
    assert.equal(created.status, 'running');
    assert.deepEqual(created.steps!.filter((s) => s.status === 'running').map((s) => s.name), ['plan'], 'only the first level starts at once');
    assert.equal(created.steps!.find((s) => s.name === 'plan')!.taskIds.length, 1);
    const run = await waitRun(hive, created.id, ['completed', 'failed', 'cancelled']);
    assert.equal(run.status, 'completed', JSON.stringify(run.steps));
    const st = Object.fromEntries(run.steps!.map((s) => [s.name, s.status]));
    assert.deepEqual(st, { plan: 'completed', backend: 'completed', frontend: 'completed', tests: 'completed', review: 'completed', fix: 'skipped', after_fix: 'skipped', each_file: 'completed', publish: 'completed' });
    assert.match(stepOf(run, 'fix').reason!, /if: steps\.tests\.result\.passed != true was false/);
    assert.equal(stepOf(run, 'after_fix').reason, 'every step it needs was skipped');
    assert.equal(stepOf(run, 'fix').taskIds.length, 0, 'a skipped step starts no task');
    // outputs passed through templates
    const plan = await hive.getTask(stepOf(run, 'plan').taskIds[0]);
    assert.equal(plan.prompt, 'Plan: login page');
    assert.equal((await hive.getTask(stepOf(run, 'backend').taskIds[0])).prompt, 'Implement API per S1');
    // fan-out of 5, in item order, and the fan-in waited for all of them
    const items = stepOf(run, 'each_file').taskIds;
    assert.equal(items.length, 5);
    const itemTasks = await Promise.all(items.map((id) => hive.getTask(id)));
    assert.deepEqual(itemTasks.map((t) => t.prompt), ['Document a.ts (0)', 'Document b.ts (1)', 'Document c.ts (2)', 'Document d.ts (3)', 'Document e.ts (4)']);
    assert.equal(stepOf(run, 'each_file').result instanceof Array && (stepOf(run, 'each_file').result as unknown[]).length, 5);
    const publish = await hive.getTask(stepOf(run, 'publish').taskIds[0]);
    assert.equal(publish.prompt, 'Publish 5 docs; review said lgtm');
    assert.ok(publish.startedAt! >= Math.max(...itemTasks.map((t) => t.finishedAt!)), 'publish started after every item finished');
    assert.equal(publish.run, run.id);
    assert.equal(publish.step, 'publish');
    const events = (await allEvents(hive)).filter((e) => e.subject === `run:${run.id}`);
    assert.equal(events[0].type, 'run.created');
    assert.equal(events.at(-1)!.type, 'run.completed');
    assert.deepEqual(run.progress, { pending: 0, ready: 0, running: 0, completed: 7, failed: 0, skipped: 2, cancelled: 0 });
  } finally {
    await cleanup();
  }
});

test('the other branch: tests fail their check, fix runs and review is skipped (and everything only it fed)', async () => {
  const { hive, cleanup } = await withFleet();
  try {
    await hive.start();
    const { id } = await hive.workflows.execute('feature', { spec: 'x', pass: 'false' });
    const run = await waitRun(hive, id, ['completed', 'failed']);
    const st = Object.fromEntries(run.steps!.map((s) => [s.name, s.status]));
    assert.equal(st.fix, 'completed');
    assert.equal(st.after_fix, 'completed');
    assert.equal(st.review, 'skipped');
    // publish needs each_file (completed) and review (skipped): it runs, and the skipped review reads as null
    assert.equal(st.publish, 'completed');
    assert.equal((await hive.getTask(stepOf(run, 'publish').taskIds[0])).prompt, 'Publish 5 docs; review said ');
    assert.equal(run.status, 'completed');
  } finally {
    await cleanup();
  }
});

test('a step that ends dead fails the run and cancels its dependents; retry re-runs only what failed', async () => {
  let broken = true;
  const { hive, cleanup } = await withFleet({
    tests: (t) => {
      if (broken) throw new Error('database is down');
      return { passed: true };
    },
  });
  try {
    await hive.start();
    const { id } = await hive.workflows.execute('feature', { spec: 'x' });
    const run = await waitRun(hive, id, ['completed', 'failed']);
    assert.equal(run.status, 'failed');
    const st = Object.fromEntries(run.steps!.map((s) => [s.name, s.status]));
    assert.equal(st.tests, 'failed');
    assert.equal(st.review, 'cancelled');
    assert.equal(st.fix, 'cancelled');
    assert.equal(st.after_fix, 'cancelled');
    assert.equal(st.publish, 'cancelled');
    assert.equal(st.each_file, 'completed', 'an independent branch still finishes');
    assert.match(stepOf(run, 'review').reason!, /DEPENDENCY_FAILED: step tests failed/);
    assert.match(run.error!, /step tests failed: task \d+ dead: TASK_FAILED: database is down/);
    const testsTask = stepOf(run, 'tests').taskIds[0];
    const dead = await hive.getTask(testsTask);
    assert.equal(dead.status, 'dead');
    assert.equal(dead.attempts, dead.retry.maxAttempts, 'the step used its attempts before it failed');
    // a task of a run is retried through its run, not alone
    await assert.rejects(hive.retry(testsTask), (e: Error & { code?: string }) => e.code === 'INVALID_TRANSITION' && /hive workflow retry/.test(e.message));

    broken = false;
    const again = await hive.workflows.retry(id);
    assert.equal(again.status, 'running');
    const done = await waitRun(hive, id, ['completed', 'failed']);
    assert.equal(done.status, 'completed', JSON.stringify(done.steps));
    assert.equal(done.error, null);
    assert.equal(stepOf(done, 'tests').taskIds[0], testsTask, 'the same task runs again');
    assert.equal((await hive.getTask(testsTask)).attempts, dead.attempts + 1);
    const completions = (await allEvents(hive)).filter((e) => e.type === 'task.completed');
    const perTask = new Map<string, number>();
    for (const e of completions) perTask.set(e.subject, (perTask.get(e.subject) ?? 0) + 1);
    assert.ok([...perTask.values()].every((n) => n === 1), 'no task completed twice');
    assert.equal((await hive.getTask(stepOf(done, 'plan').taskIds[0])).attempts, 1, 'plan was not re-run');
    assert.equal(stepOf(done, 'review').status, 'completed');
  } finally {
    await cleanup();
  }
});

test('continue_on_failure: the run goes on and completes; dependents see the failed status', async () => {
  const h = await testHive({ inline: { ok: (t) => ({ got: t.prompt }), bad: () => { throw new Error('nope'); } } });
  try {
    await h.hive.registerAgent(agentSpec('good', ['ok'], { kind: 'inline', fn: 'ok' }, 2));
    await h.hive.registerAgent(agentSpec('flaky', ['bad'], { kind: 'inline', fn: 'bad' }, 2));
    await h.hive.workflows.define({
      name: 'lenient',
      steps: {
        lint: { caps: ['bad'], retries: 0, continue_on_failure: true },
        build: { caps: ['ok'], needs: ['lint'], prompt: 'lint was {{steps.lint.status}}' },
      },
    });
    await h.hive.start();
    const { id } = await h.hive.workflows.execute('lenient');
    const run = await waitRun(h.hive, id, ['completed', 'failed']);
    assert.equal(run.status, 'completed');
    assert.equal(stepOf(run, 'lint').status, 'failed');
    assert.equal((await h.hive.getTask(stepOf(run, 'build').taskIds[0])).prompt, 'lint was failed');
  } finally {
    await h.cleanup();
  }
});

test('pause: running steps finish, nothing new starts, queued tasks are held; resume goes on', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { hive, cleanup } = await withFleet({ plan: async () => (await gate, { summary: 'S', files: ['1', '2', '3', '4', '5'] }) }, 1);
  try {
    await hive.start();
    const { id } = await hive.workflows.execute('feature', { spec: 'x' });
    await waitFor(async () => (await hive.getTask((await hive.workflows.getRun(id)).steps![0].taskIds[0])).status === 'running');
    const paused = await hive.workflows.pause(id);
    assert.equal(paused.status, 'paused');
    release();
    await waitFor(async () => stepOf(await hive.workflows.getRun(id), 'plan').status === 'completed');
    await sleep(150);
    let run = await hive.workflows.getRun(id);
    assert.equal(run.status, 'paused');
    for (const s of ['backend', 'frontend', 'each_file']) {
      assert.equal(stepOf(run, s).status, 'ready', `${s} waits for resume`);
      assert.equal(stepOf(run, s).taskIds.length, 0);
    }
    await assert.rejects(hive.workflows.pause(id), (e: Error & { code?: string }) => e.code === 'INVALID_TRANSITION');
    await hive.workflows.resume(id);
    // pause again while the 5 items wait for the single docs slot: the queued ones are held
    await waitFor(async () => stepOf(await hive.workflows.getRun(id), 'each_file').taskIds.length === 5);
    await hive.workflows.pause(id);
    run = await hive.workflows.getRun(id);
    const items = await Promise.all(stepOf(run, 'each_file').taskIds.map((t) => hive.getTask(t)));
    const held = items.filter((t) => t.status === 'pending');
    for (const t of held) assert.match(t.reason!, /held: workflow run \d+ is paused/);
    await sleep(100);
    for (const t of held) assert.equal((await hive.getTask(t.id)).status, 'pending', 'a held task does not start');
    await hive.workflows.resume(id);
    run = await waitRun(hive, id, ['completed', 'failed']);
    assert.equal(run.status, 'completed');
    const types = (await allEvents(hive)).filter((e) => e.subject === `run:${id}`).map((e) => e.type);
    assert.equal(types.filter((t) => t === 'run.paused').length, 2);
    assert.equal(types.filter((t) => t === 'run.resumed').length, 2);
  } finally {
    await cleanup();
  }
});

test('cancel: the running step is killed, pending steps are cancelled, the run ends cancelled and can be retried', async () => {
  let hang = true;
  const { hive, cleanup } = await withFleet({
    backend: (t, ctx) => (hang ? new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) : { ok: true }),
  });
  try {
    await hive.start();
    const { id } = await hive.workflows.execute('feature', { spec: 'x' });
    await waitFor(async () => {
      const r = await hive.workflows.getRun(id);
      return stepOf(r, 'backend').taskIds.length === 1 && (await hive.getTask(stepOf(r, 'backend').taskIds[0])).status === 'running';
    });
    const run = await hive.workflows.cancel(id, 'changed my mind');
    assert.equal(run.status, 'cancelled');
    assert.equal(stepOf(run, 'backend').status, 'cancelled');
    assert.equal(stepOf(run, 'tests').status, 'cancelled');
    const backend = await hive.getTask(stepOf(run, 'backend').taskIds[0]);
    assert.equal(backend.status, 'cancelled');
    assert.match(backend.reason!, /workflow run \d+ cancelled: changed my mind/);
    await waitFor(() => hive.runningNow().length === 0, 5_000, 'the running attempt to be aborted');
    await assert.rejects(hive.workflows.cancel(id), (e: Error & { code?: string }) => e.code === 'INVALID_TRANSITION');
    hang = false;
    await hive.workflows.retry(id);
    const done = await waitRun(hive, id, ['completed', 'failed', 'cancelled']);
    assert.equal(done.status, 'completed', JSON.stringify(done.steps?.map((s) => [s.name, s.status, s.reason])));
  } finally {
    await cleanup();
  }
});

test('a step pinned to an agent runs there; a run of steps that all have no tasks completes at once', async () => {
  const h = await testHive({ inline: { ok: () => ({ ok: true }) } });
  try {
    await h.hive.registerAgent(agentSpec('a1', ['x'], { kind: 'inline', fn: 'ok' }));
    await h.hive.registerAgent(agentSpec('a2', ['x'], { kind: 'inline', fn: 'ok' }));
    await h.hive.workflows.define({ name: 'pinned', steps: { one: { caps: ['x'], agent: 'a2' }, two: { caps: ['x'], agent: 'a2', needs: ['one'] } } });
    await h.hive.workflows.define({ name: 'empty', inputs: { files: { type: 'array', default: [] } }, steps: { each: { for_each: 'inputs.files', prompt: '{{item}}' }, after: { needs: ['each'], if: 'false' } } });
    await h.hive.start();
    const { id } = await h.hive.workflows.execute('pinned');
    const run = await waitRun(h.hive, id, ['completed', 'failed']);
    assert.deepEqual(run.steps!.map((s) => s.agents), [['a2'], ['a2']]);
    const empty = await h.hive.workflows.execute('empty');
    assert.equal(empty.status, 'completed');
    assert.deepEqual(stepOf(empty, 'each').result, []);
    assert.equal(stepOf(empty, 'after').status, 'skipped');
  } finally {
    await h.cleanup();
  }
});
