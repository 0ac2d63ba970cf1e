import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertTaskTransition, canTransition, CANCELLABLE, isTerminal, RETRYABLE, TASK_TRANSITIONS, TERMINAL_TASK_STATUSES } from '../../src/core/task-state.js';
import { HiveError } from '../../src/core/errors.js';
import { TASK_STATUSES, type TaskStatus } from '../../src/core/types.js';

describe('task-state', () => {
  it('has a row for every status, naming only known statuses, and no self-loops', () => {
    assert.deepEqual(Object.keys(TASK_TRANSITIONS).sort(), [...TASK_STATUSES].sort());
    for (const [from, tos] of Object.entries(TASK_TRANSITIONS)) {
      for (const to of tos) {
        assert.ok(TASK_STATUSES.includes(to), `${from} -> ${to}`);
        assert.notEqual(to, from);
      }
      assert.equal(new Set(tos).size, tos.length, `duplicates in ${from}`);
    }
  });

  it('encodes the lifecycle: pending -> queued -> running -> completed | failed -> queued | pending | dead', () => {
    const allowed: [TaskStatus, TaskStatus][] = [
      ['pending', 'queued'],
      ['pending', 'cancelled'],
      ['queued', 'running'],
      ['queued', 'cancelled'],
      ['queued', 'dead'],
      ['queued', 'pending'],
      ['running', 'completed'],
      ['running', 'failed'],
      ['running', 'cancelled'],
      ['failed', 'queued'],
      ['failed', 'pending'],
      ['failed', 'dead'],
      ['dead', 'queued'],
      ['dead', 'pending'],
      ['cancelled', 'queued'],
      ['cancelled', 'pending'],
    ];
    const key = (a: string, b: string): string => `${a}->${b}`;
    const ok = new Set(allowed.map(([a, b]) => key(a, b)));
    for (const from of TASK_STATUSES) {
      for (const to of TASK_STATUSES) assert.equal(canTransition(from, to), ok.has(key(from, to)), key(from, to));
    }
  });

  it('completed is final; dead and cancelled are terminal but can be sent back by a user', () => {
    assert.deepEqual(TASK_TRANSITIONS.completed, []);
    assert.deepEqual([...TERMINAL_TASK_STATUSES].sort(), ['cancelled', 'completed', 'dead']);
    for (const s of TASK_STATUSES) assert.equal(isTerminal(s), TERMINAL_TASK_STATUSES.includes(s), s);
    for (const s of CANCELLABLE) assert.ok(canTransition(s, 'cancelled'), `${s} is cancellable`);
    for (const s of RETRYABLE) assert.ok(canTransition(s, 'queued'), `${s} is retryable`);
    assert.deepEqual([...CANCELLABLE].sort(), TASK_STATUSES.filter((s) => canTransition(s, 'cancelled')).sort());
  });

  it('assertTaskTransition passes allowed moves and throws INVALID_TRANSITION with details otherwise', () => {
    assert.doesNotThrow(() => assertTaskTransition(1, 'queued', 'running'));
    assert.throws(
      () => assertTaskTransition(7, 'completed', 'cancelled'),
      (e: unknown) => {
        assert.ok(e instanceof HiveError);
        assert.equal(e.code, 'INVALID_TRANSITION');
        assert.match(e.message, /^task 7 is completed; cannot /);
        assert.match(e.message, /it is final/);
        assert.deepEqual(e.details, { taskId: 7, from: 'completed', to: 'cancelled' });
        return true;
      },
    );
    assert.throws(() => assertTaskTransition(3, 'pending', 'running'), (e: unknown) => {
      assert.ok(e instanceof HiveError && e.code === 'INVALID_TRANSITION');
      assert.match(e.message, /allowed from pending: queued, cancelled/);
      return true;
    });
  });
});
