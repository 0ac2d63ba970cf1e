import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HiveError, type FieldIssue } from '../../src/core/errors.js';
import { DEFAULT_OPTIONS } from '../../src/core/options.js';
import { LIMITS, resolveTaskInput, type TaskInput } from '../../src/core/task-input.js';

const defaults = DEFAULT_OPTIONS.taskDefaults;

/** The issue paths of the VALIDATION_FAILED error `fn` throws. */
function issuesOf(fn: () => unknown): FieldIssue[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HiveError, String(e));
    assert.equal(e.code, 'VALIDATION_FAILED');
    assert.match(e.message, /^invalid task: /);
    return e.details!.issues as FieldIssue[];
  }
  assert.fail('expected VALIDATION_FAILED');
}
const paths = (t: unknown, path?: string): string[] => issuesOf(() => resolveTaskInput(t as TaskInput, defaults, path)).map((i) => i.path);

describe('task-input', () => {
  it('fills every default from the task defaults', () => {
    assert.deepEqual(resolveTaskInput({ title: 'fix the bug' }, defaults), {
      ref: undefined,
      title: 'fix the bug',
      prompt: '',
      type: 'task',
      priority: 'medium',
      capabilities: [],
      dependsOn: [],
      locks: [],
      retry: { maxAttempts: 3, backoffMs: 1000, backoffCapMs: 300_000 },
      timeoutMs: 0,
      scheduleTimeoutMs: 86_400_000,
      idempotencyKey: null,
      metadata: {},
    });
    const custom = { ...defaults, priority: 'low' as const, retry: { maxAttempts: 1, backoffMs: 5, backoffCapMs: 10 }, timeoutMs: 9, scheduleTimeoutMs: 0 };
    const t = resolveTaskInput({ title: 't' }, custom);
    assert.equal(t.priority, 'low');
    assert.deepEqual(t.retry, custom.retry);
    assert.equal(t.timeoutMs, 0, 'an unset timeout stays 0: the agent limit, then the default, apply when it runs');
    assert.equal(t.scheduleTimeoutMs, 0);
  });

  it('keeps given values and normalizes lists: title trimmed, capabilities and locks sorted and unique, dependencies unique', () => {
    const t = resolveTaskInput(
      {
        ref: 'r1',
        title: '  review  ',
        prompt: 'look',
        type: 'review',
        priority: 'critical',
        capabilities: ['review', 'py', 'review'],
        locks: ['src/api', 'db', 'db'],
        dependsOn: [3, 'build', 3],
        maxAttempts: 1,
        backoffMs: 0,
        backoffCapMs: 10,
        timeoutMs: 60_000,
        scheduleTimeoutMs: 0,
        idempotencyKey: 'k',
        metadata: { pr: 12 },
      },
      defaults,
    );
    assert.equal(t.title, 'review');
    assert.equal(t.ref, 'r1');
    assert.deepEqual(t.capabilities, ['py', 'review']);
    assert.deepEqual(t.locks, ['db', 'src/api']);
    assert.deepEqual(t.dependsOn, [3, 'build']);
    assert.deepEqual(t.retry, { maxAttempts: 1, backoffMs: 0, backoffCapMs: 10 });
    assert.equal(t.idempotencyKey, 'k');
    assert.deepEqual(t.metadata, { pr: 12 });
  });

  it('refuses each bad field with VALIDATION_FAILED and its path', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'title'],
      [{ title: '   ' }, 'title'],
      [{ title: 7 }, 'title'],
      [{ title: 'x'.repeat(LIMITS.titleChars + 1) }, 'title'],
      [{ title: 't', prompt: 5 }, 'prompt'],
      [{ title: 't', type: 'has space' }, 'type'],
      [{ title: 't', priority: 'urgent' }, 'priority'],
      [{ title: 't', capabilities: 'py' }, 'capabilities'],
      [{ title: 't', capabilities: ['py', 'bad cap'] }, 'capabilities.1'],
      [{ title: 't', capabilities: [''] }, 'capabilities.0'],
      [{ title: 't', capabilities: Array.from({ length: LIMITS.listItems + 1 }, (_, i) => `c${i}`) }, 'capabilities'],
      [{ title: 't', locks: [1] }, 'locks.0'],
      [{ title: 't', dependsOn: 3 }, 'dependsOn'],
      [{ title: 't', dependsOn: [1, 0] }, 'dependsOn.1'],
      [{ title: 't', dependsOn: [-2] }, 'dependsOn.0'],
      [{ title: 't', dependsOn: [1.5] }, 'dependsOn.0'],
      [{ title: 't', dependsOn: [''] }, 'dependsOn.0'],
      [{ title: 't', dependsOn: [null] }, 'dependsOn.0'],
      [{ title: 't', maxAttempts: 0 }, 'maxAttempts'],
      [{ title: 't', maxAttempts: LIMITS.maxAttempts + 1 }, 'maxAttempts'],
      [{ title: 't', maxAttempts: 2.5 }, 'maxAttempts'],
      [{ title: 't', backoffMs: -1 }, 'backoffMs'],
      [{ title: 't', backoffCapMs: '10s' }, 'backoffCapMs'],
      [{ title: 't', timeoutMs: LIMITS.durationMs + 1 }, 'timeoutMs'],
      [{ title: 't', scheduleTimeoutMs: Number.NaN }, 'scheduleTimeoutMs'],
      [{ title: 't', idempotencyKey: '' }, 'idempotencyKey'],
      [{ title: 't', idempotencyKey: 'k'.repeat(LIMITS.nameChars + 1) }, 'idempotencyKey'],
      [{ title: 't', ref: '' }, 'ref'],
      [{ title: 't', metadata: [] }, 'metadata'],
      [{ title: 't', metadata: null }, 'metadata'],
    ];
    for (const [t, path] of cases) assert.deepEqual(paths(t), [path], JSON.stringify(t).slice(0, 80));
  });

  it('accepts the limits themselves', () => {
    assert.doesNotThrow(() =>
      resolveTaskInput({ title: 'x'.repeat(LIMITS.titleChars), maxAttempts: LIMITS.maxAttempts, timeoutMs: LIMITS.durationMs, idempotencyKey: 'k'.repeat(LIMITS.nameChars) }, defaults),
    );
    assert.doesNotThrow(() => resolveTaskInput({ title: 't', maxAttempts: 1, backoffMs: 0, idempotencyKey: null }, defaults));
  });

  it('reports every bad field at once, under the given path prefix', () => {
    const issues = issuesOf(() => resolveTaskInput({ title: '', priority: 'x', maxAttempts: 0 } as unknown as TaskInput, defaults, 'tasks.2'));
    assert.deepEqual(issues.map((i) => i.path), ['tasks.2.title', 'tasks.2.priority', 'tasks.2.maxAttempts']);
    for (const i of issues) assert.ok(i.message.length > 0);
    assert.throws(() => resolveTaskInput({ title: '', priority: 'x' } as unknown as TaskInput, defaults), /\(and 1 more\)/);
  });

  it('refuses a non-object at the root', () => {
    assert.deepEqual(paths(null), ['(root)']);
    assert.deepEqual(paths([]), ['(root)']);
    assert.deepEqual(paths('task'), ['(root)']);
    assert.deepEqual(paths(null, 'tasks.0'), ['tasks.0']);
  });
});
