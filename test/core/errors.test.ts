import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ERROR_CODES, HiveError, isHiveError, toHiveError, validationError } from '../../src/core/errors.js';

describe('errors', () => {
  it('codes are UPPER_SNAKE with a description each', () => {
    for (const [code, text] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^[A-Z][A-Z_]+$/);
      assert.ok(text.length > 10, code);
    }
  });

  it('HiveError carries code, message, details and cause, and serializes without the cause', () => {
    const cause = new Error('disk full');
    const e = new HiveError('STORE_UNAVAILABLE', 'cannot write', { details: { path: '/x' }, cause });
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'HiveError');
    assert.equal(e.code, 'STORE_UNAVAILABLE');
    assert.equal(e.cause, cause);
    assert.deepEqual(e.toJSON(), { code: 'STORE_UNAVAILABLE', message: 'cannot write', details: { path: '/x' } });
    assert.deepEqual(new HiveError('TASK_NOT_FOUND', 'no').toJSON(), { code: 'TASK_NOT_FOUND', message: 'no' });
    assert.ok(isHiveError(e));
    assert.ok(isHiveError(e, 'STORE_UNAVAILABLE'));
    assert.ok(!isHiveError(e, 'CONFLICT'));
    assert.ok(!isHiveError(cause));
  });

  it('toHiveError keeps HiveErrors and wraps anything else as INTERNAL', () => {
    const e = new HiveError('CONFLICT', 'busy');
    assert.equal(toHiveError(e), e);
    const wrapped = toHiveError(new TypeError('x is undefined'));
    assert.equal(wrapped.code, 'INTERNAL');
    assert.equal(wrapped.message, 'x is undefined');
    assert.ok(wrapped.cause instanceof TypeError);
    assert.equal(toHiveError('plain').message, 'plain');
  });

  it('validationError summarizes the first issue and counts the rest', () => {
    const e = validationError([{ path: 'a.b', message: 'required' }, { path: 'c', message: 'bad' }], 'agent');
    assert.equal(e.code, 'VALIDATION_FAILED');
    assert.equal(e.message, 'invalid agent: a.b: required (and 1 more)');
    assert.equal((e.details!.issues as unknown[]).length, 2);
    assert.equal(validationError([{ path: '', message: 'expected an object' }]).message, 'invalid input: (root): expected an object');
  });
});
