import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawRun, stepDepths } from '../../src/cli/dag-view.js';
import type { RunStep, StepStatus, WorkflowRun } from '../../src/core/workflow.js';

const T0 = Date.parse('2026-11-24T22:00:00.000Z');
const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

function step(name: string, status: StepStatus, needs: string[], extra: Partial<RunStep> = {}): RunStep {
  return { name, status, needs, taskIds: [], agents: [], output: null, result: null, reason: null, items: null, usage, startedAt: null, finishedAt: null, ...extra };
}

function run(steps: RunStep[], extra: Partial<WorkflowRun> = {}): WorkflowRun {
  const progress = { pending: 0, ready: 0, running: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0 };
  return { id: 7, workflow: 'feature', version: 2, status: 'running', inputs: {}, error: null, usage, createdAt: T0, updatedAt: T0, finishedAt: null, progress, steps, ...extra };
}

test('depth is the longest path from a root, not the shortest', () => {
  const d = stepDepths([step('a', 'pending', []), step('b', 'pending', ['a']), step('c', 'pending', ['a', 'b']), step('x', 'pending', []), step('d', 'pending', ['x', 'c'])]);
  assert.deepEqual(Object.fromEntries(d), { a: 0, b: 1, c: 2, x: 0, d: 3 });
  // a step listed before what it needs still gets its depth
  assert.deepEqual(Object.fromEntries(stepDepths([step('late', 'pending', ['early']), step('early', 'pending', [])])), { late: 1, early: 0 });
});

test('the drawing: a header, steps grouped by depth and indented, with status, needs, agent, duration, fan-out items and reasons', () => {
  const r = run([
    step('plan', 'completed', [], { taskIds: [1], agents: ['planner'], items: 1, startedAt: T0, finishedAt: T0 + 1_500 }),
    step('tests', 'pending', ['backend', 'docs']),
    step('backend', 'running', ['plan'], { taskIds: [2], agents: ['coder'], items: 1, startedAt: T0 + 1_500, finishedAt: null }),
    step('docs', 'running', ['plan'], { taskIds: [3, 4, 5], agents: ['writer', 'coder'], items: 3, startedAt: T0 + 1_500 }),
    step('fix', 'skipped', ['tests'], { reason: 'if: steps.tests.result.passed != true was false' }),
    step('lint', 'failed', [], { taskIds: [6], agents: ['linter'], items: 1, startedAt: T0, finishedAt: T0 + 20, reason: 'task 6 dead: TASK_FAILED: exit code 1' }),
  ]);
  const drawing = drawRun(r, T0 + 4_000, new Map([['docs', 2]]));
  assert.equal(
    drawing,
    [
      'run 7  feature@2  running  4.00s',
      '✓ plan       completed  agent planner  1.50s',
      '✗ lint       failed     agent linter  20ms  (task 6 dead: TASK_FAILED: exit code 1)',
      '  ● backend  running    ← plan  agent coder  2.50s',
      '  ● docs     running    ← plan  agent writer, coder  2.50s  items 2/3',
      '    ○ tests  pending    ← backend, docs',
      '      ↷ fix  skipped    ← tests  (if: steps.tests.result.passed != true was false)',
    ].join('\n'),
  );
});

test('a finished run shows its own duration and error; a step not in the fan-out map shows no items', () => {
  const r = run([step('only', 'failed', [], { taskIds: [1], agents: ['a'], items: 1, startedAt: T0, finishedAt: T0 + 100, reason: 'boom' })], { status: 'failed', finishedAt: T0 + 250, error: 'step only failed: boom' });
  assert.equal(drawRun(r, T0 + 99_999), ['run 7  feature@2  failed  250ms', '✗ only  failed  agent a  100ms  (boom)', 'error: step only failed: boom'].join('\n'));
  assert.equal(drawRun(run([]), T0 + 5), 'run 7  feature@2  running  5ms', 'no steps: the header alone');
});
