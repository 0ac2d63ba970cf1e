import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHive } from '../../src/index.js';
import type { Task } from '../../src/core/types.js';
import type { WorkflowRun } from '../../src/core/workflow.js';
import { assertNothingLeftBehind } from '../helpers/crash.js';
import { HIVE_BIN, ROOT, allEvents, sleep, tempDir, waitFor } from '../helpers/hive.js';

/**
 * Durability of workflow runs: `hive up` (a real process, command agents that are real processes) is SIGKILLed
 * in the middle of a run, several times, and restarted. The run must continue from where it was: no step runs
 * twice to completion, no step is lost, a fan-out creates its tasks once, and the prompts still carry the
 * upstream outputs.
 */

const FILES = 12;
const KILLS = 3;
/** Completed tasks of the run needed before each kill (plus a task running at that moment). */
const KILL_AFTER = [1, 5, 10];
const TOPIC = 'crash-topic';

const WORKFLOW = {
  name: 'crashflow',
  inputs: { topic: { type: 'string', required: true } },
  steps: {
    // a chain: plan -> design -> build
    plan: { caps: ['work'], prompt: 'plan {{inputs.topic}}' },
    design: { caps: ['work'], needs: ['plan'], prompt: 'design for {{steps.plan.result.summary}}' },
    build: { caps: ['work'], needs: ['design'], prompt: 'build after <{{steps.design.result.echo}}>' },
    // a fan-out over the plan's files, and a fan-in of it and the chain
    each: { caps: ['work'], needs: ['plan'], for_each: 'steps.plan.result.files', prompt: 'doc {{item}} #{{index}} of {{steps.plan.result.summary}}' },
    collect: { caps: ['work'], needs: ['each', 'build'], prompt: 'collect {{len(steps.each.result)}} docs, last <{{steps.each.result[len(steps.each.result) - 1].echo}}>, build ok={{steps.build.result.ok}}' },
    // a branch skipped by its `if`, and a step fed only by it (skipped too)
    hotfix: { caps: ['work'], needs: ['build'], if: 'steps.build.result.ok != true', prompt: 'hotfix' },
    after_hotfix: { caps: ['work'], needs: ['hotfix'], prompt: 'after hotfix' },
    report: { caps: ['work'], needs: ['collect', 'after_hotfix'], prompt: 'report <{{steps.collect.result.echo}}> hotfix={{steps.hotfix.status}}' },
  },
};

const EXPECTED_STATUS = { plan: 'completed', design: 'completed', build: 'completed', each: 'completed', collect: 'completed', hotfix: 'skipped', after_hotfix: 'skipped', report: 'completed' };
const EXPECTED_TASKS: Record<string, number> = { plan: 1, design: 1, build: 1, each: FILES, collect: 1, hotfix: 0, after_hotfix: 0, report: 1 };
const TOTAL_TASKS = Object.values(EXPECTED_TASKS).reduce((a, b) => a + b, 0);

function up(dir: string): ChildProcess {
  return spawn(process.execPath, [HIVE_BIN, 'up', '--quiet', '--port', '0', '--data', join(dir, 'data'), '--config', join(dir, 'hive.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
}

const FINAL = ['completed', 'failed', 'cancelled'];

test('kill -9 of `hive up` in the middle of a workflow run, 3 times: the run resumes where it was, every step runs once, none is lost', { timeout: 120_000 }, async (tc) => {
  const t = tempDir('hive-wf-crash-');
  const dataDir = join(t.dir, 'data');
  const marker = join(t.dir, 'markers.txt');
  const agent = join(ROOT, 'test/fixtures/e2e/workflow-agent.mjs');
  writeFileSync(
    join(t.dir, 'hive.yaml'),
    [
      'engine: { poll: 20ms, reap_interval: 100ms, kill_grace: 500ms, drain: 5s }',
      'defaults: { max_attempts: 10, backoff: 10ms, backoff_cap: 50ms }',
      'agents:',
      '  - name: worker',
      '    capabilities: [work]',
      `    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(agent)}, "{prompt}"]`,
      '    slots: 4',
      `    env: { MARKER_FILE: ${JSON.stringify(marker)}, FILES: "${FILES}" }`,
      '',
    ].join('\n'),
  );

  // define the workflow and start the run while no `hive up` runs: only the store is touched. The run keeps
  // the task defaults of the process that executes it (not those of hive.yaml), so give the same ones here:
  // an attempt cut by a kill counts, and one task may be hit by every kill.
  const setup = await createHive({ dataDir, taskDefaults: { retry: { maxAttempts: 10, backoffMs: 10, backoffCapMs: 50 } } });
  let runId: number;
  try {
    await setup.workflows.define(WORKFLOW);
    const created = await setup.workflows.execute('crashflow', { topic: TOPIC });
    runId = created.id;
    assert.equal(created.status, 'running');
    assert.deepEqual(created.steps!.filter((s) => s.status === 'running').map((s) => s.name), ['plan']);
  } finally {
    await setup.close({ drainMs: 0 });
  }

  const reader = await createHive({ dataDir });
  const runTasks = async (): Promise<Task[]> => (await reader.listTasks({ limit: 10_000 })).filter((x) => x.run === runId);
  try {
    const orphanPids = new Set<number>();
    let killedWithRunning = 0;
    const atKills: string[] = [];
    /** Tasks completed before each kill, as they were then: they must never change again. */
    const doneBefore = new Map<number, Task>();

    for (let round = 0; round < KILLS; round++) {
      const child = up(t.dir);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      // wait until this incarnation has moved the run on (some steps done) and runs something, then SIGKILL
      await waitFor(
        async () => {
          const tasks = await runTasks();
          return tasks.filter((x) => x.status === 'completed').length >= KILL_AFTER[round] && tasks.some((x) => x.status === 'running' && x.leaseUntil !== null);
        },
        30_000,
        `round ${round}: ${KILL_AFTER[round]} completed tasks and a running one (hive up said: ${out})`,
      );
      await sleep(Math.floor(Math.random() * 120));
      child.kill('SIGKILL');
      await exited;
      const running = await reader.store.runningAttempts();
      if (running.length) killedWithRunning++;
      atKills.push(`${(await runTasks()).filter((x) => x.status === 'completed').length} done/${running.length} running`);
      for (const r of running) if (r.pid) orphanPids.add(r.pid);
      for (const x of await runTasks()) if (x.status === 'completed' && !doneBefore.has(x.id)) doneBefore.set(x.id, x);
      const run = await reader.workflows.getRun(runId);
      assert.equal(run.status, 'running', `round ${round}: the run finished before the kill; make it longer`);
    }

    const final = up(t.dir);
    let out = '';
    final.stdout!.on('data', (d) => (out += d));
    final.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => final.on('exit', (code) => r(code)));
    let run!: WorkflowRun;
    await waitFor(async () => FINAL.includes((run = await reader.workflows.getRun(runId)).status), 60_000, 'the run to finish');
    final.kill('SIGTERM');
    assert.equal(await exited, 0, out);
    assert.match(out, /recovered \d+ attempt\(s\), killed \d+ orphan process/);

    // the run completed; every step has its expected status
    assert.equal(run.status, 'completed', JSON.stringify(run.steps!.map((s) => [s.name, s.status, s.reason])));
    assert.equal(run.error, null);
    assert.deepEqual(Object.fromEntries(run.steps!.map((s) => [s.name, s.status])), EXPECTED_STATUS);
    assert.match(run.steps!.find((s) => s.name === 'hotfix')!.reason!, /^if: .* was false$/);
    assert.equal(run.steps!.find((s) => s.name === 'after_hotfix')!.reason, 'every step it needs was skipped');

    // none lost, none duplicated: each step has exactly its tasks, and the run has no other task
    const tasks = await runTasks();
    const byId = new Map(tasks.map((x) => [x.id, x]));
    const stepTasks = new Map(run.steps!.map((s) => [s.name, s.taskIds]));
    for (const [name, n] of Object.entries(EXPECTED_TASKS)) assert.equal(stepTasks.get(name)!.length, n, `step ${name}: ${stepTasks.get(name)!.length} tasks, expected ${n}`);
    assert.equal(tasks.length, TOTAL_TASKS, `the run has ${tasks.length} tasks, expected ${TOTAL_TASKS}`);
    assert.deepEqual([...run.steps!.flatMap((s) => s.taskIds)].sort((a, b) => a - b), tasks.map((x) => x.id).sort((a, b) => a - b));
    for (const s of run.steps!) for (const id of s.taskIds) assert.equal(byId.get(id)!.step, s.name);
    assert.deepEqual(tasks.filter((x) => x.status !== 'completed').map((x) => `${x.id}:${x.status}:${x.reason}`), []);

    // every task of the run completed exactly once; every step started once and ended once
    const events = await allEvents(reader);
    const completions = new Map<string, number>();
    for (const e of events.filter((x) => x.type === 'task.completed' && byId.has(Number(x.subject.slice(5))))) completions.set(e.subject, (completions.get(e.subject) ?? 0) + 1);
    assert.equal(completions.size, TOTAL_TASKS);
    assert.deepEqual([...completions].filter(([, n]) => n !== 1), [], 'a task was completed more than once');
    const stepEvents = events.filter((e) => e.subject === `run:${runId}` && e.type === 'run.step').map((e) => e.data as { step: string; status: string });
    for (const name of Object.keys(EXPECTED_STATUS)) {
      const seen = stepEvents.filter((e) => e.step === name).map((e) => e.status);
      const expect = EXPECTED_TASKS[name] > 0 ? ['running', 'completed'] : ['skipped'];
      assert.deepEqual(seen, expect, `step ${name}: events ${seen.join(', ')}`);
    }
    assert.equal(events.filter((e) => e.subject === `run:${runId}` && e.type === 'run.completed').length, 1);

    // the run went on from where it was: what had completed before a kill was never run again
    assert.ok(doneBefore.size >= KILL_AFTER[KILLS - 1], `only ${doneBefore.size} tasks done before the last kill`);
    for (const [id, before] of doneBefore) {
      const after = byId.get(id)!;
      assert.equal(after.attempts, before.attempts, `task ${id} (${after.step}) ran again after it had completed`);
      assert.equal(after.finishedAt, before.finishedAt, `task ${id} (${after.step}) finished again`);
    }

    // prompts carry the upstream outputs (rendered when the step started, across restarts)
    const prompt = (step: string, i = 0): string => byId.get(stepTasks.get(step)![i])!.prompt;
    const summary = `S(${TOPIC})`;
    assert.equal(prompt('plan'), `plan ${TOPIC}`);
    assert.equal(prompt('design'), `design for ${summary}`);
    assert.equal(prompt('build'), `build after <design for ${summary}>`);
    assert.deepEqual(stepTasks.get('each')!.map((_, i) => prompt('each', i)), Array.from({ length: FILES }, (_, i) => `doc f${i}.ts #${i} of ${summary}`));
    const collect = `collect ${FILES} docs, last <doc f${FILES - 1}.ts #${FILES - 1} of ${summary}>, build ok=true`;
    assert.equal(prompt('collect'), collect);
    assert.equal(prompt('report'), `report <${collect}> hotfix=skipped`);
    // the fan-in started only after every item had finished, and read them all
    const collectTask = byId.get(stepTasks.get('collect')![0])!;
    for (const id of stepTasks.get('each')!) assert.ok(collectTask.startedAt! >= byId.get(id)!.finishedAt!, `collect started before item task ${id} finished`);
    assert.equal((run.steps!.find((s) => s.name === 'each')!.result as unknown[]).length, FILES);

    // the kills really hit running work of the run, and recovery handed it back
    assert.ok(killedWithRunning >= 1, 'no kill hit a running attempt');
    const lost = events.filter((e) => e.type === 'task.failed' && e.data.code === 'ORCHESTRATOR_LOST' && byId.has(Number(e.subject.slice(5))));
    assert.ok(lost.length >= 1, 'no attempt of the run was recovered with ORCHESTRATOR_LOST');
    tc.diagnostic(`at the kills: ${atKills.join(', ')}; ${lost.length} attempts recovered; most attempts of a task: ${Math.max(...tasks.map((x) => x.attempts))}`);

    await assertNothingLeftBehind(reader.store, dataDir, t.dir, orphanPids, marker);
  } finally {
    await reader.close({ drainMs: 0 });
    t.cleanup();
  }
});
